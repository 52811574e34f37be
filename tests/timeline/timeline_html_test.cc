// The HTML timeline opened in headless Chromium through chromedriver's WebDriver API: the
// chart renders (a bar of non-zero width per step), parallel steps overlap, the budget
// markers are drawn, nothing is fetched from outside the file, and the page fits a phone and
// print. Screenshots and a PDF are kept under BUILD/test-artifacts/ for a person to look at.
// Skipped when chromium or chromedriver is missing (scripts/install-deps installs them).
#include <gtest/gtest.h>
#include <httplib.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "store/store.h"
#include "tests/support/test_support.h"
#include "tests/timeline/fixture.h"

namespace medic {
namespace {

using nlohmann::json;
using testing::ScopedTempDir;

std::string DecodeBase64(const std::string& in) {
  static const std::string kChars =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  int val = 0, bits = -8;
  for (char c : in) {
    size_t pos = kChars.find(c);
    if (pos == std::string::npos) continue;
    val = (val << 6) + static_cast<int>(pos);
    bits += 6;
    if (bits >= 0) {
      out.push_back(static_cast<char>((val >> bits) & 0xFF));
      bits -= 8;
    }
  }
  return out;
}

// A WebDriver session against a chromedriver this test starts and stops.
class Browser {
 public:
  bool Start(const std::string& profile_dir, const std::string& log, std::string* error) {
    port_ = testing::FreePort();
    if (!driver_.Start({"chromedriver", "--port=" + std::to_string(port_)}, log)) {
      *error = "cannot start chromedriver";
      return false;
    }
    if (!testing::WaitForPort(port_, 20'000)) {
      *error = "chromedriver did not listen; see " + log;
      return false;
    }
    client_ = std::make_unique<httplib::Client>("127.0.0.1", port_);
    client_->set_read_timeout(180, 0);
    json args = {"--headless=new",
                 "--no-sandbox",
                 "--disable-gpu",
                 "--disable-quic",
                 "--no-first-run",
                 "--disable-background-networking",
                 "--disable-component-update",
                 "--disable-sync",
                 "--disable-dev-shm-usage",
                 "--user-data-dir=" + profile_dir,
                 "--window-size=1280,900"};
    json caps = {
        {"capabilities",
         {{"alwaysMatch", {{"browserName", "chrome"}, {"goog:chromeOptions", {{"args", args}}}}}}}};
    json r = Call("POST", "/session", caps);
    if (!r.contains("sessionId")) {
      *error = "no WebDriver session: " + r.dump();
      return false;
    }
    session_ = r["sessionId"].get<std::string>();
    return true;
  }
  ~Browser() {
    if (!session_.empty()) Call("DELETE", "/session/" + session_, nullptr);
  }

  // The "value" of a WebDriver command on this session.
  json Call(const std::string& method, const std::string& path, const json& body) {
    if (!client_) return json();
    std::string full = path.rfind("/session", 0) == 0 ? path : "/session/" + session_ + path;
    httplib::Result res = method == "GET" ? client_->Get(full.c_str())
                          : method == "DELETE"
                              ? client_->Delete(full.c_str())
                              : client_->Post(full.c_str(), body.dump(), "application/json");
    if (!res) return json{{"error", "no response from chromedriver"}};
    json j = json::parse(res->body, nullptr, false);
    return j.is_object() && j.contains("value") ? j["value"] : j;
  }
  json Run(const std::string& script) {
    return Call("POST", "/execute/sync", {{"script", script}, {"args", json::array()}});
  }
  json Cdp(const std::string& cmd, const json& params) {
    return Call("POST", "/goog/cdp/execute", {{"cmd", cmd}, {"params", params}});
  }
  void Viewport(int width, int height, bool mobile) {
    Cdp("Emulation.setDeviceMetricsOverride", {{"width", width},
                                               {"height", height},
                                               {"deviceScaleFactor", mobile ? 2 : 1},
                                               {"mobile", mobile}});
  }
  // A PNG of the page's top `height` CSS pixels at the current viewport width.
  bool Screenshot(const std::string& path, int width, int height, double y = 0) {
    json shot =
        Cdp("Page.captureScreenshot",
            {{"format", "png"},
             {"captureBeyondViewport", true},
             {"clip", {{"x", 0}, {"y", y}, {"width", width}, {"height", height}, {"scale", 1}}}});
    if (!shot.contains("data")) return false;
    testing::WriteFile(path, DecodeBase64(shot["data"].get<std::string>()));
    return true;
  }

 private:
  testing::PeerProcess driver_;
  int port_ = 0;
  std::unique_ptr<httplib::Client> client_;
  std::string session_;
};

// Geometry of every bar of the chart with class `cls`: [{step, status, left, right, width}].
json Bars(Browser& b, const std::string& cls) {
  return b.Run("return Array.from(document.querySelectorAll('svg." + cls +
               " rect.bar')).map(r => { const b = r.getBoundingClientRect();"
               " return {step: r.dataset.step, status: r.dataset.status, left: b.left,"
               " right: b.right, width: b.width}; });");
}

class TimelineHtml : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::HaveTool("chromium") || !testing::HaveTool("chromedriver"))
      GTEST_SKIP()
          << "chromium and chromedriver are needed (apt-get install chromium chromium-driver)";
    artifacts_ = testing::BinaryDir() + "/test-artifacts";
    std::filesystem::create_directories(artifacts_);
    auto store = Store::Open(dir_.Join("medic.db"));
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE(testing::WriteFixtureIncident(**store).ok());
    html_ = artifacts_ + "/timeline.html";
    auto r = testing::RunCommand({testing::MedicBinary(), "--db", dir_.Join("medic.db"), "timeline",
                                  "1", "--format", "html", "-o", html_});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::string error;
    ASSERT_TRUE(browser_.Start(dir_.Join("profile"), dir_.Join("chromedriver.log"), &error))
        << error << "\n"
        << testing::ReadFile(dir_.Join("chromedriver.log"));
    browser_.Call("POST", "/url", {{"url", "file://" + html_}});
  }
  ScopedTempDir dir_;
  std::string artifacts_, html_;
  Browser browser_;
};

TEST_F(TimelineHtml, TheChartRendersABarPerStepWithParallelStepsOverlapping) {
  browser_.Viewport(1280, 900, false);
  json bars = Bars(browser_, "chart-wide");
  ASSERT_TRUE(bars.is_array()) << bars.dump();
  // Every step of the golden run started; two of them were tried twice (a bar per attempt).
  ASSERT_EQ(bars.size(), 12u) << bars.dump();
  std::set<std::string> steps;
  for (const auto& b : bars) steps.insert(b["step"].get<std::string>());
  EXPECT_EQ(steps.size(), 10u);
  double contain_left = 0, contain_right = 1e9;
  for (const auto& b : bars) {
    EXPECT_GT(b["width"].get<double>(), 0.5) << b.dump();
    std::string step = b["step"];
    if (step == "freeze_metrics" || step == "capture_core" || step == "goroutine_dump" ||
        step == "drain_instance") {
      contain_left = std::max(contain_left, b["left"].get<double>());
      contain_right = std::min(contain_right, b["right"].get<double>());
    }
  }
  EXPECT_LT(contain_left, contain_right) << "the contain stage's parallel bars should overlap";
  // The phone chart is hidden on a wide screen.
  for (const auto& b : Bars(browser_, "chart-narrow")) EXPECT_EQ(b["width"].get<double>(), 0);

  // The SLA in force (the default 3-minute contain), labelled; no made-up markers.
  EXPECT_EQ(browser_.Run("return Array.from(document.querySelectorAll('svg.chart-wide "
                         "line.marker')).map(m => m.dataset.label);"),
            json::array({"contain SLA 3m"}));
  EXPECT_EQ(browser_.Run("return document.querySelectorAll('svg.chart-wide [data-kind=retry_wait]')"
                         ".length;"),
            2);
  // A tick per step budget that falls within the axis (fitted to the run).
  EXPECT_GE(browser_.Run("return document.querySelectorAll('svg.chart-wide line.budget').length;"),
            7);
  EXPECT_GE(browser_.Run("return document.querySelectorAll('svg.chart-wide rect.over').length;"),
            1);
  // Self-contained: no scripts, no stylesheets or fonts fetched.
  EXPECT_EQ(browser_.Run("return document.scripts.length;"), 0);
  EXPECT_EQ(browser_.Run("return performance.getEntriesByType('resource').length;"), 0);
  EXPECT_TRUE(browser_.Screenshot(artifacts_ + "/timeline.png", 1280, 1500));
  json chart = browser_.Run(
      "const b = document.querySelector('svg.chart-wide').getBoundingClientRect();"
      " return {top: b.top + window.scrollY, height: b.height};");
  ASSERT_TRUE(chart.contains("top")) << chart.dump();
  EXPECT_TRUE(browser_.Screenshot(artifacts_ + "/timeline-chart.png", 1280,
                                  static_cast<int>(chart["height"].get<double>()) + 60,
                                  chart["top"].get<double>() - 10));
}

TEST_F(TimelineHtml, OnAPhoneTheNarrowChartShowsAndThePageDoesNotScrollSideways) {
  browser_.Viewport(390, 844, true);
  json bars = Bars(browser_, "chart-narrow");
  ASSERT_EQ(bars.size(), 12u) << bars.dump();
  for (const auto& b : bars) {
    EXPECT_GT(b["width"].get<double>(), 0.5) << b.dump();
    EXPECT_LE(b["right"].get<double>(), 390) << b.dump();
  }
  for (const auto& b : Bars(browser_, "chart-wide")) EXPECT_EQ(b["width"].get<double>(), 0);
  EXPECT_LE(browser_.Run("return document.documentElement.scrollWidth;").get<int>(), 390);
  EXPECT_TRUE(browser_.Screenshot(artifacts_ + "/timeline-phone.png", 390, 2600));
  json chart = browser_.Run(
      "const b = document.querySelector('svg.chart-narrow').getBoundingClientRect();"
      " return {top: b.top + window.scrollY, height: b.height};");
  ASSERT_TRUE(chart.contains("top")) << chart.dump();
  EXPECT_TRUE(browser_.Screenshot(artifacts_ + "/timeline-phone-chart.png", 390,
                                  static_cast<int>(chart["height"].get<double>()) + 90,
                                  chart["top"].get<double>() - 50));
}

TEST_F(TimelineHtml, AStepWaitingForApprovalHasItsOwnBarAndLegend) {
  {
    auto store = Store::Open(dir_.Join("medic.db"));
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE(testing::WriteAwaitingApprovalIncident(**store).ok());
  }
  std::string html = artifacts_ + "/timeline-awaiting.html";
  auto r = testing::RunCommand({testing::MedicBinary(), "--db", dir_.Join("medic.db"), "timeline",
                                "2", "--format", "html", "-o", html});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  browser_.Call("POST", "/url", {{"url", "file://" + html}});
  browser_.Viewport(1280, 900, false);
  json bars = Bars(browser_, "chart-wide");
  ASSERT_EQ(bars.size(), 3u) << bars.dump();
  const json& waiting = bars[2];
  EXPECT_EQ(waiting["step"], "restart");
  EXPECT_EQ(waiting["status"], "awaiting_approval");
  EXPECT_GT(waiting["width"].get<double>(), 0.5) << waiting.dump();
  EXPECT_GE(waiting["left"].get<double>(), bars[1]["right"].get<double>() - 1)
      << "it began waiting when drain_instance was done";
  json legend = browser_.Run(
      "return Array.from(document.querySelectorAll('.legend li')).map(l => l.textContent);");
  EXPECT_NE(legend.dump().find("waiting for approval"), std::string::npos) << legend.dump();
  json chart = browser_.Run(
      "const b = document.querySelector('svg.chart-wide').getBoundingClientRect();"
      " return {top: b.top + window.scrollY, height: b.height};");
  ASSERT_TRUE(chart.contains("top")) << chart.dump();
  EXPECT_TRUE(browser_.Screenshot(artifacts_ + "/timeline-awaiting-chart.png", 1280,
                                  static_cast<int>(chart["height"].get<double>()) + 60,
                                  chart["top"].get<double>() - 10));
}

// A run interrupted by Ctrl-C and resumed 9 s later, then stopped 42 s for an approval: each
// wait is its own labelled segment between the attempts, the axis fits the 64 s run, and the
// 3-minute contain SLA still shows, past a break in the axis.
TEST_F(TimelineHtml, InterruptionsAndApprovalWaitsAreDrawnAsSuchOnAnAxisFittedToTheRun) {
  {
    auto store = Store::Open(dir_.Join("medic.db"));
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE(testing::WriteInterruptedIncident(**store).ok());
  }
  std::string html = artifacts_ + "/timeline-interrupted.html";
  auto r = testing::RunCommand({testing::MedicBinary(), "--db", dir_.Join("medic.db"), "timeline",
                                "2", "--format", "html", "-o", html});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  browser_.Call("POST", "/url", {{"url", "file://" + html}});
  browser_.Viewport(1280, 900, false);
  json segs = browser_.Run(
      "return Array.from(document.querySelectorAll('svg.chart-wide [data-kind]')).map(e => {"
      " const b = e.getBoundingClientRect(); return {step: e.dataset.step, kind: e.dataset.kind,"
      " left: b.left, right: b.right, width: b.width}; });");
  auto find = [&](const std::string& step, const std::string& kind, int nth = 0) {
    for (const auto& g : segs)
      if (g["step"] == step && g["kind"] == kind && nth-- == 0) return g;
    return json();
  };
  json first = find("probe", "attempt"), gap = find("probe", "interrupted"),
       again = find("probe", "attempt", 1), wait = find("restart", "approval_wait"),
       restart = find("restart", "attempt");
  ASSERT_FALSE(first.is_null() || gap.is_null() || again.is_null() || wait.is_null() ||
               restart.is_null())
      << segs.dump();
  auto w = [](const json& g) { return g["width"].get<double>(); };
  EXPECT_NEAR(first["right"].get<double>(), gap["left"].get<double>(), 1.5);
  EXPECT_NEAR(gap["right"].get<double>(), again["left"].get<double>(), 1.5);
  EXPECT_NEAR(w(gap) / w(first), 9.0 / 5.0, 0.15) << "the 9 s interruption, not a 14 s bar";
  EXPECT_NEAR(w(again) / w(first), 1.0, 0.1);
  EXPECT_NEAR(w(wait) / w(first), 42.76 / 5.0, 0.5);
  EXPECT_NEAR(wait["right"].get<double>(), restart["left"].get<double>(), 1.5);
  json labels = browser_.Run(
      "return Array.from(document.querySelectorAll('svg.chart-wide text')).map(t =>"
      " t.textContent);");
  std::string text = labels.dump();
  EXPECT_NE(text.find("interrupted 9.0s"), std::string::npos) << text;
  EXPECT_NE(text.find("approval 42.8s"), std::string::npos) << text;
  EXPECT_NE(text.find("5.0s ×2"), std::string::npos) << "the table's 5 s, twice tried\n" << text;
  // Fitted: the run spans most of the chart; the SLA is past the break, labelled.
  json chart = browser_.Run(
      "const c = document.querySelector('svg.chart-wide').getBoundingClientRect();"
      " const m = document.querySelector('svg.chart-wide line.marker');"
      " const mb = m ? m.getBoundingClientRect() : null;"
      " return {left: c.left, width: c.width, top: c.top + window.scrollY, height: c.height,"
      " marker: m ? m.dataset.label : null, marker_x: mb ? mb.left : 0,"
      " breaks: document.querySelectorAll('svg.chart-wide path.axisbreak').length};");
  EXPECT_GT(restart["right"].get<double>() - first["left"].get<double>(),
            0.6 * chart["width"].get<double>())
      << chart.dump();
  EXPECT_EQ(chart["marker"], "contain SLA 3m") << chart.dump();
  EXPECT_GT(chart["marker_x"].get<double>(), restart["right"].get<double>()) << chart.dump();
  EXPECT_EQ(chart["breaks"], 2) << chart.dump();
  EXPECT_NE(text.find("contain SLA 3m (at "), std::string::npos) << text;
  EXPECT_TRUE(browser_.Screenshot(artifacts_ + "/timeline-interrupted-chart.png", 1280,
                                  static_cast<int>(chart["height"].get<double>()) + 60,
                                  chart["top"].get<double>() - 10));
  // The SLAs in force are the ones asked for: --sla contain=30s falls inside the run.
  std::string tight = artifacts_ + "/timeline-interrupted-sla30s.html";
  r = testing::RunCommand({testing::MedicBinary(), "--db", dir_.Join("medic.db"), "timeline", "2",
                           "--sla", "contain=30s", "--format", "html", "-o", tight});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  browser_.Call("POST", "/url", {{"url", "file://" + tight}});
  EXPECT_EQ(browser_.Run("return Array.from(document.querySelectorAll('svg.chart-wide "
                         "line.marker')).map(m => m.dataset.label);"),
            json::array({"contain SLA 30s"}));
  EXPECT_EQ(browser_.Run("return document.querySelectorAll('svg.chart-wide path.axisbreak')"
                         ".length;"),
            0)
      << "nothing beyond the run: no break";
  browser_.Call("POST", "/url", {{"url", "file://" + html}});
  browser_.Viewport(390, 844, true);
  json narrow = browser_.Run(
      "const c = document.querySelector('svg.chart-narrow').getBoundingClientRect();"
      " return {top: c.top + window.scrollY, height: c.height};");
  EXPECT_TRUE(browser_.Screenshot(artifacts_ + "/timeline-interrupted-phone.png", 390,
                                  static_cast<int>(narrow["height"].get<double>()) + 40,
                                  narrow["top"].get<double>() - 10));
}

TEST_F(TimelineHtml, PrintedThePageUsesTheWideChart) {
  browser_.Cdp("Emulation.setEmulatedMedia", {{"media", "print"}});
  browser_.Viewport(794, 1123, false);  // A4 at 96 dpi
  json bars = Bars(browser_, "chart-wide");
  ASSERT_EQ(bars.size(), 12u) << bars.dump();
  for (const auto& b : bars) EXPECT_GT(b["width"].get<double>(), 0.5) << b.dump();
  EXPECT_TRUE(browser_.Screenshot(artifacts_ + "/timeline-print.png", 794, 1123));
  json pdf = browser_.Call("POST", "/print", {{"background", true}});
  ASSERT_TRUE(pdf.is_string()) << pdf.dump().substr(0, 300);
  std::string bytes = DecodeBase64(pdf.get<std::string>());
  EXPECT_EQ(bytes.rfind("%PDF", 0), 0u);
  testing::WriteFile(artifacts_ + "/timeline.pdf", bytes);
}

}  // namespace
}  // namespace medic
