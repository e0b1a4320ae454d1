#include "list_output.h"

#include <boost/json.hpp>
#include <fmt/core.h>

namespace lampi::ca {

std::string list_as_table(const std::vector<ListedCertificate>& certificates) {
    if (certificates.empty()) return "no certificates issued yet\n";
    std::string out = fmt::format("{:<18} {:<7} {:<8} {:<21} {}\n", "SERIAL", "KIND", "STATUS", "NOT AFTER", "CN");
    for (const ListedCertificate& c : certificates) {
        out += fmt::format("{:<18} {:<7} {:<8} {:<21} {}\n", c.entry.serial, kind_name(c.entry.kind),
                           status_name(c.status), format_utc(c.entry.not_after), c.entry.common_name);
    }
    return out;
}

std::string list_as_json(const std::vector<ListedCertificate>& certificates) {
    boost::json::array list;
    for (const ListedCertificate& c : certificates) {
        boost::json::object o;
        o["serial"] = c.entry.serial;
        o["kind"] = std::string(kind_name(c.entry.kind));
        o["cn"] = c.entry.common_name;
        o["not_before"] = format_utc(c.entry.not_before);
        o["not_after"] = format_utc(c.entry.not_after);
        o["status"] = std::string(status_name(c.status));
        if (c.entry.revoked_at) {
            o["revoked_at"] = format_utc(*c.entry.revoked_at);
            o["reason"] = c.entry.revocation_reason;
        }
        if (!c.entry.dns_names.empty()) {
            boost::json::array dns;
            for (const auto& d : c.entry.dns_names) dns.emplace_back(d);
            o["dns"] = std::move(dns);
        }
        if (!c.entry.ip_addresses.empty()) {
            boost::json::array ip;
            for (const auto& a : c.entry.ip_addresses) ip.emplace_back(a);
            o["ip"] = std::move(ip);
        }
        list.emplace_back(std::move(o));
    }
    boost::json::object doc;
    doc["certificates"] = std::move(list);
    return boost::json::serialize(doc) + "\n";
}

}  // namespace lampi::ca
