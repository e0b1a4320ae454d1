#include "lampi/html.h"

#include <gtest/gtest.h>

namespace lampi {
namespace {

TEST(EscapeHtml, ReplacesEveryCharacterThatCanEndTextOrAnAttribute) {
    EXPECT_EQ(escape_html(R"(<a href="x" title='y'>Tom & Jerry</a>)"),
              "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;Tom &amp; Jerry&lt;/a&gt;");
}

TEST(EscapeHtml, LeavesOtherTextAsItIs) {
    EXPECT_EQ(escape_html(""), "");
    EXPECT_EQ(escape_html("Wohnzimmer-Lampe 3, ümlaut; 100%"), "Wohnzimmer-Lampe 3, ümlaut; 100%");
}

TEST(EscapeHtml, AnEntityIsEscapedAgainNotPassedThrough) { EXPECT_EQ(escape_html("&lt;"), "&amp;lt;"); }

}  // namespace
}  // namespace lampi
