// The chart library inlined into HTML reports: uPlot (MIT), from the npm package
// pinned in report/package-lock.json, embedded at build time.
#pragma once

namespace lampi::load {

extern const char* const kChartLibraryJs;
extern const char* const kChartLibraryCss;

}  // namespace lampi::load
