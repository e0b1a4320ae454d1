#include "gatt_application.h"

#include <fmt/core.h>

#include "lampi/log.h"

namespace lampi::ble {
namespace {

using Options = std::map<std::string, sdbus::Variant>;

std::vector<std::string> flags_of(Characteristic c) {
    // The device id is readable before pairing (it is in the advertised name
    // anyway); the lamp's state and commands need an encrypted, paired link.
    if (!writable(c)) return {"read"};
    return {"encrypt-read", "encrypt-write", "notify"};
}

}  // namespace

std::uint16_t offset_option(const Options& options) {
    auto it = options.find("offset");
    if (it == options.end()) return 0;
    if (it->second.peekValueType() != "q")
        throw sdbus::Error(std::string(kInvalidOffset), "the offset option must be a uint16 (q)");
    return it->second.get<std::uint16_t>();
}

std::string GattApplication::characteristic_path(const std::string& root, Characteristic c) {
    return fmt::format("{}/service0/char{}", root, static_cast<int>(c));
}

GattApplication::GattApplication(sdbus::IConnection& bus, const std::string& root, std::string advertisement_path,
                                 std::string device_id, WriteHandler on_write)
    : root_(root),
      service_path_(root + "/service0"),
      advertisement_path_(std::move(advertisement_path)),
      device_id_(std::move(device_id)),
      on_write_(std::move(on_write)) {
    root_object_ = sdbus::createObject(bus, root_);
    root_object_->addObjectManager();
    root_object_->finishRegistration();

    service_ = sdbus::createObject(bus, service_path_);
    service_->registerProperty("UUID").onInterface(kGattServiceInterface).withGetter([] {
        return std::string(kServiceUuid);
    });
    service_->registerProperty("Primary").onInterface(kGattServiceInterface).withGetter([] { return true; });
    service_->registerProperty("Characteristics").onInterface(kGattServiceInterface).withGetter([this] {
        std::vector<sdbus::ObjectPath> paths;
        paths.reserve(kCharacteristics.size());
        for (Characteristic c : kCharacteristics) paths.emplace_back(characteristic_path(root_, c));
        return paths;
    });
    service_->finishRegistration();

    for (std::size_t i = 0; i < kCharacteristics.size(); ++i) {
        chrcs_[i].kind = kCharacteristics[i];
        add_characteristic(bus, chrcs_[i]);
    }

    advertisement_ = sdbus::createObject(bus, advertisement_path_);
    advertisement_->registerMethod("Release").onInterface(kAdvertisementInterface).implementedAs([] {
        log::info("BlueZ released the advertisement");
    });
    advertisement_->registerProperty("Type").onInterface(kAdvertisementInterface).withGetter([] {
        return std::string("peripheral");
    });
    advertisement_->registerProperty("ServiceUUIDs").onInterface(kAdvertisementInterface).withGetter([] {
        return std::vector<std::string>{std::string(kServiceUuid)};
    });
    advertisement_->registerProperty("LocalName").onInterface(kAdvertisementInterface).withGetter([this] {
        return "LAMPi " + device_id_;
    });
    advertisement_->finishRegistration();
}

GattApplication::~GattApplication() = default;

void GattApplication::add_characteristic(sdbus::IConnection& bus, Chrc& chrc) {
    const Characteristic kind = chrc.kind;
    auto& object = chrc.object;
    object = sdbus::createObject(bus, characteristic_path(root_, kind));
    object->registerMethod("ReadValue")
        .onInterface(kGattCharacteristicInterface)
        .withInputParamNames("options")
        .withOutputParamNames("value")
        .implementedAs([this, kind](const Options& options) {
            std::uint16_t offset = offset_option(options);
            std::vector<std::uint8_t> value = value_of(kind);
            if (offset > value.size())
                throw sdbus::Error(std::string(kInvalidOffset), fmt::format("offset {} is past the {} bytes of the {}",
                                                                            offset, value.size(), name_of(kind)));
            ++counters_.reads;
            return std::vector<std::uint8_t>(value.begin() + offset, value.end());
        });
    object->registerMethod("WriteValue")
        .onInterface(kGattCharacteristicInterface)
        .withInputParamNames("value", "options")
        .implementedAs([this, &chrc](const std::vector<std::uint8_t>& value, const Options& options) {
            write(chrc, value, options);
        });
    object->registerMethod("StartNotify").onInterface(kGattCharacteristicInterface).implementedAs([this, &chrc] {
        set_notifying(chrc, true);
    });
    object->registerMethod("StopNotify").onInterface(kGattCharacteristicInterface).implementedAs([this, &chrc] {
        set_notifying(chrc, false);
    });
    object->registerProperty("UUID").onInterface(kGattCharacteristicInterface).withGetter([kind] {
        return std::string(uuid_of(kind));
    });
    object->registerProperty("Service").onInterface(kGattCharacteristicInterface).withGetter([this] {
        return sdbus::ObjectPath(service_path_);
    });
    object->registerProperty("Flags").onInterface(kGattCharacteristicInterface).withGetter([kind] {
        return flags_of(kind);
    });
    // GetManagedObjects reads every property: before the lamp's first state the
    // value is empty rather than an error, or BlueZ would refuse the whole tree.
    object->registerProperty("Value").onInterface(kGattCharacteristicInterface).withGetter([this, kind] {
        return state_ || !writable(kind) ? value_of(kind) : std::vector<std::uint8_t>{};
    });
    object->registerProperty("Notifying").onInterface(kGattCharacteristicInterface).withGetter([&chrc] {
        return chrc.notifying;
    });
    object->finishRegistration();
}

std::vector<std::uint8_t> GattApplication::value_of(Characteristic c) const {
    if (!state_ && c != Characteristic::device_id)
        throw sdbus::Error(std::string(kFailed), std::string(kUnreachableCode));  // nothing heard from lampid yet
    return encode(c, state_.value_or(LampState{}), device_id_);
}

void GattApplication::write(Chrc& chrc, const std::vector<std::uint8_t>& value, const Options& options) {
    ++counters_.writes;
    DecodedWrite decoded = decode_write(chrc.kind, value, offset_option(options));
    std::optional<WriteRefusal> refusal = decoded.refusal;
    if (!refusal) refusal = on_write_(*decoded.update);
    if (refusal) {
        ++counters_.refused_writes;
        log::warn("refused a write of the {} ({} bytes): {} {}", name_of(chrc.kind), value.size(), refusal->error_name,
                  refusal->message);
        throw sdbus::Error(refusal->error_name, refusal->message);
    }
}

void GattApplication::set_notifying(Chrc& chrc, bool on) {
    if (on && !writable(chrc.kind))
        throw sdbus::Error("org.bluez.Error.NotSupported", "the device id does not change, so it does not notify");
    if (chrc.notifying == on) return;
    chrc.notifying = on;
    // What a new subscriber has been told: nothing yet, so the next state notifies.
    chrc.last_sent.clear();
    chrc.object->emitPropertiesChangedSignal(kGattCharacteristicInterface, {"Notifying"});
    if (on && state_) show(*state_);
}

void GattApplication::show(const LampState& state) {
    if (state_ && state.version < state_->version) return;  // a retained message older than what we have
    state_ = state;
    for (Chrc& chrc : chrcs_) {
        if (!chrc.notifying) continue;
        std::vector<std::uint8_t> value = encode(chrc.kind, state, device_id_);
        if (value == chrc.last_sent) continue;
        chrc.last_sent = std::move(value);
        chrc.object->emitPropertiesChangedSignal(kGattCharacteristicInterface, {"Value"});
        ++counters_.notifications;
    }
}

}  // namespace lampi::ble
