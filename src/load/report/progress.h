// The live progress line: one line, rewritten in place once a second.
#pragma once

#include <string>

#include "stats/collector.h"

namespace lampi::load {

std::string progress_line(const Sample& sample, std::size_t planned_connections);

}  // namespace lampi::load
