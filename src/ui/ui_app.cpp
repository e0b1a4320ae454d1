#include "ui_app.h"

#include <SDL.h>
#include <fmt/core.h>

#include <atomic>
#include <condition_variable>

#include "lampi/device_id.h"
#include "lampi/lamp_link.h"
#include "lampi/log.h"
#include "lampi/topics.h"
#include "layout.h"
#include "painter.h"
#include "png_file.h"
#include "screen_model.h"
#include "touch_controller.h"

namespace lampi::ui {
namespace {

using Clock = std::chrono::steady_clock;

// Returns when the model changed; `shown_prompt` gets the expiry of a prompt that
// began to show, so the caller can wake to hide it.
bool apply(ScreenModel& model, const LinkNews& news, std::optional<std::chrono::milliseconds>* shown_prompt = nullptr) {
    bool changed = false;
    for (const MqttMessage& message : news.followed) {
        Result<PairingPrompt> prompt = decode_pairing_prompt(message.payload);
        if (!prompt) {
            log::warn("ignored {}: {}", message.topic, prompt.status().message());
            continue;
        }
        changed |= model.on_pairing(*prompt, Clock::now());
        if (!prompt->withdrawn && shown_prompt) *shown_prompt = prompt->expires_in;
    }
    if (news.connected) changed |= model.on_connection(*news.connected);
    if (news.association) changed |= model.on_association(*news.association);
    if (news.cloud_online) changed |= model.on_cloud(*news.cloud_online);
    if (news.lamp) changed |= model.on_changed(*news.lamp);
    return changed;
}

// --screenshot: a software renderer on a memory surface, so no display is needed.
int take_screenshot(const UiOptions& o) {
    std::mutex mutex;
    std::condition_variable arrived;
    bool woken = false;
    MqttOptions mqtt = o.mqtt;
    // Its own session, and no announcement: a screenshot must not knock the
    // running screen (client id lamp_ui) off the broker.
    mqtt.client_id.clear();
    mqtt.clean_session = true;
    LampLink link(mqtt, o.device_id, topics::kScreenClient, false, [&] {
        std::lock_guard lock(mutex);
        woken = true;
        arrived.notify_one();
    });
    ScreenModel model{std::string(topics::kScreenClient)};
    if (!o.screenshot_pairing.empty()) {
        Result<PairingPrompt> prompt = decode_pairing_prompt(o.screenshot_pairing);
        if (!prompt) {
            log::error("--screenshot-pairing: {}", prompt.status().message());
            return 2;
        }
        model.on_pairing(*prompt, Clock::now());
    }
    if (Status s = link.start(); !s) {
        log::error("{}", s.message());
        return 1;
    }
    const auto deadline = Clock::now() + std::chrono::seconds(o.screenshot_timeout_seconds);
    while (!model.view().lamp) {
        std::unique_lock lock(mutex);
        if (!arrived.wait_until(lock, deadline, [&] { return woken; })) {
            log::error("no lamp/changed from {} within {} s", link.endpoint(), o.screenshot_timeout_seconds);
            return 1;
        }
        woken = false;
        lock.unlock();
        apply(model, link.take());
    }
    link.stop();

    SDL_Surface* surface = SDL_CreateRGBSurfaceWithFormat(0, o.width, o.height, 32, SDL_PIXELFORMAT_RGBA32);
    SDL_Renderer* renderer = surface ? SDL_CreateSoftwareRenderer(surface) : nullptr;
    if (!renderer) {
        log::error("cannot create a software renderer: {}", SDL_GetError());
        if (surface) SDL_FreeSurface(surface);
        return 1;
    }
    paint(renderer, compute_layout(o.width, o.height), model.view());
    RgbaImage image{o.width, o.height, std::vector<std::uint8_t>(static_cast<std::size_t>(o.width) * o.height * 4)};
    const int read = SDL_RenderReadPixels(renderer, nullptr, SDL_PIXELFORMAT_RGBA32, image.pixels.data(), o.width * 4);
    SDL_DestroyRenderer(renderer);
    SDL_FreeSurface(surface);
    SDL_Quit();  // SDL's own state, so leak checkers see a clean exit
    if (read != 0) {
        log::error("cannot read the frame back: {}", SDL_GetError());
        return 1;
    }
    if (Status s = write_png(o.screenshot, image); !s) {
        log::error("{}", s.message());
        return 1;
    }
    log::info("wrote {}x{} to {}", o.width, o.height, o.screenshot);
    return 0;
}

// For the debug log lines a benchmark times the screen by.
std::int64_t wall_us() {
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// SDL events the screen posts to itself from other threads.
struct WakeEvents {
    Uint32 news = 0;   // the broker delivered something
    Uint32 timer = 0;  // a TouchController timer came due
};
WakeEvents g_events;
std::atomic<bool> g_news_pending{false};

void push(Uint32 type) {
    SDL_Event event{};
    event.type = type;
    SDL_PushEvent(&event);
}

Uint32 timer_fired(Uint32 /*interval*/, void* /*unused*/) {
    push(g_events.timer);
    return 0;  // one-shot
}

class Window {
public:
    ~Window() {
        if (renderer) SDL_DestroyRenderer(renderer);
        if (window) SDL_DestroyWindow(window);
    }
    SDL_Window* window = nullptr;
    SDL_Renderer* renderer = nullptr;
};

int run_screen(const UiOptions& o) {
    // SDL picks the display: X11 (or Wayland) when there is one, else KMSDRM,
    // the Pi's screen without X (SDL_VIDEODRIVER forces one).
    if (SDL_Init(SDL_INIT_VIDEO | SDL_INIT_TIMER) != 0) {
        log::error("cannot start SDL video: {} (no X display, and no KMS device this user may open?)", SDL_GetError());
        return 1;
    }
    const std::string driver = SDL_GetCurrentVideoDriver() ? SDL_GetCurrentVideoDriver() : "";
    // Without a GPU renderer the window's pixels go straight to the display
    // (XShm) instead of through an OpenGL texture, so no GL driver is loaded
    // (README, "Memory"). SDL's KMSDRM has no such path: it presents through
    // GBM/EGL, so there the hint would leave no way to show a frame.
    if (!o.gpu && driver != "KMSDRM") SDL_SetHint(SDL_HINT_FRAMEBUFFER_ACCELERATION, "0");
    log::info("display: SDL video driver {}", driver);
    struct SdlQuit {
        ~SdlQuit() { SDL_Quit(); }
    } sdl_quit;
    const Uint32 first = SDL_RegisterEvents(2);
    g_events = {first, first + 1};

    Window w;
    const Uint32 flags = SDL_WINDOW_SHOWN | (o.fullscreen ? static_cast<Uint32>(SDL_WINDOW_FULLSCREEN_DESKTOP) : 0U);
    w.window = SDL_CreateWindow("LAMPi", SDL_WINDOWPOS_UNDEFINED, SDL_WINDOWPOS_UNDEFINED, o.width, o.height, flags);
    if (!w.window) {
        log::error("cannot open a window: {}", SDL_GetError());
        return 1;
    }
    // No vsync: frames are drawn only on a change, and the present must not wait.
    w.renderer = SDL_CreateRenderer(w.window, -1, o.gpu ? SDL_RENDERER_ACCELERATED : SDL_RENDERER_SOFTWARE);
    if (!w.renderer && o.gpu) w.renderer = SDL_CreateRenderer(w.window, -1, SDL_RENDERER_SOFTWARE);
    if (!w.renderer) {
        log::error("cannot create a renderer: {}", SDL_GetError());
        return 1;
    }
    int width = o.width, height = o.height;
    SDL_GetRendererOutputSize(w.renderer, &width, &height);
    Layout layout = compute_layout(width, height);

    ScreenModel model{std::string(topics::kScreenClient)};
    MqttOptions mqtt = o.mqtt;
    LampLink link(mqtt, o.device_id, topics::kScreenClient, true, [] {
        // One wake-up per batch: the loop takes everything that arrived at once.
        if (!g_news_pending.exchange(true)) push(g_events.news);
    });
    link.follow(std::string(topics::kBlePairing));
    auto wake_after = [](std::chrono::milliseconds delay) {
        SDL_AddTimer(static_cast<Uint32>(std::max<long>(1, delay.count())), timer_fired, nullptr);
    };
    TouchController touch(model, layout, std::string(topics::kScreenClient),
                          {[&link](const LampUpdate& update) {
                               if (Status s = link.send(update); !s) log::warn("{}", s.message());
                           },
                           wake_after,
                           [&link](const PairingAnswer& answer) {
                               Status s = link.publish(topics::kBlePairingAnswer, encode_pairing_answer(answer));
                               if (!s) log::warn("cannot answer the pairing prompt: {}", s.message());
                               else log::info("pairing prompt {}: {}", answer.id, answer.allow ? "allowed" : "denied");
                           }});
    if (Status s = link.start(); !s) {
        log::error("{}", s.message());
        return 1;
    }
    SDL_RendererInfo info{};
    SDL_GetRendererInfo(w.renderer, &info);
    log::info("screen {}x{} on {} ({}, {} renderer), broker {}", width, height, SDL_GetCurrentVideoDriver(),
              o.fullscreen ? "fullscreen" : "window", info.name, link.endpoint());

    bool redraw = true;
    bool quit = false;
    SDL_Event event;
    // Idle means asleep in SDL_WaitEvent: every wake-up is input, a broker
    // message (pushed by the network thread) or a timer the controller asked for.
    while (!quit && SDL_WaitEvent(&event)) {
        do {
            const auto now = Clock::now();
            switch (event.type) {
                case SDL_QUIT: quit = true; break;
                case SDL_WINDOWEVENT: redraw = true; break;
                case SDL_MOUSEBUTTONDOWN:
                    log::debug("press at {},{} at {} us", event.button.x, event.button.y, wall_us());
                    if (event.button.button == SDL_BUTTON_LEFT)
                        redraw |= touch.press(event.button.x, event.button.y, now);
                    break;
                case SDL_MOUSEMOTION:
                    if (event.motion.state & SDL_BUTTON_LMASK)
                        redraw |= touch.move(event.motion.x, event.motion.y, now);
                    break;
                case SDL_MOUSEBUTTONUP:
                    if (event.button.button == SDL_BUTTON_LEFT)
                        redraw |= touch.release(event.button.x, event.button.y, now);
                    break;
                default:
                    if (event.type == g_events.news) {
                        g_news_pending = false;
                        std::optional<std::chrono::milliseconds> prompt_expiry;
                        redraw |= apply(model, link.take(), &prompt_expiry);
                        if (prompt_expiry) wake_after(*prompt_expiry + std::chrono::milliseconds(1));
                    } else if (event.type == g_events.timer) {
                        redraw |= touch.timer(now);
                    }
            }
        } while (!quit && SDL_PollEvent(&event));  // the rest of this batch, then one frame
        if (redraw && !quit) {
            paint(w.renderer, layout, model.view());
            SDL_RenderPresent(w.renderer);
            redraw = false;
            if (log::enabled(log::Level::debug)) {
                // The wall-clock stamp lets a benchmark time a change from its sender to the glass.
                const auto shown = model.view().lamp;
                if (shown) {
                    log::debug("frame: version {} at {} us", shown->version, wall_us());
                } else {
                    log::debug("frame: no lamp state yet at {} us", wall_us());
                }
            }
        }
    }
    link.stop();
    return 0;
}

}  // namespace

UiOptions default_ui_options() {
    UiOptions o;
    o.mqtt.client_id = std::string(topics::kScreenClient);
    return o;
}

int run_ui(UiOptions o) {
    if (!log::init_from_option("lampi-ui", o.log_level, {}, o.log_format)) return 2;
    if (!o.device_id.empty()) {
        Result<std::string> id = normalize_device_id(o.device_id);
        if (!id) {
            log::error("{}", id.status().message());
            return 2;
        }
        o.device_id = *id;
    }
    if (auto exit_code = read_password_file_at_start(o.mqtt, o.password_file)) return *exit_code;
    if (o.width < 160 || o.height < 120) {
        log::error("the screen must be at least 160x120");
        return 2;
    }
    return o.screenshot.empty() ? run_screen(o) : take_screenshot(o);
}

}  // namespace lampi::ui
