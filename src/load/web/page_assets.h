// The web UI's page, script and style (web/page.*), compiled in at build time.
#pragma once

namespace lampi::load {

extern const char* const kWebPageHtml;
extern const char* const kWebPageJs;
extern const char* const kWebPageCss;

}  // namespace lampi::load
