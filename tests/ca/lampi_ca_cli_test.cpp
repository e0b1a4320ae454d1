// lampi-ca as an operator runs it: every subcommand, its help, and its errors.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <boost/json.hpp>

#include <filesystem>

#include "process.h"
#include "text.h"

namespace lampi::ca {
namespace {

using lampi::testing::TempDir;
using testing::contains;
using testing::run;
using testing::RunResult;

RunResult lampi_ca(std::vector<std::string> args, const TempDir& dir) {
    args.insert(args.begin(), LAMPI_CA_BINARY);
    return run(std::move(args), dir / "lampi-ca.log");
}

TEST(LampiCaCli, EverySubcommandHasHelp) {
    TempDir dir;
    for (const char* command : {"init", "issue-server", "issue-device", "issue-client", "sign-device-csr", "revoke", "crl", "list"}) {
        RunResult r = lampi_ca({command, "--help"}, dir);
        EXPECT_EQ(r.exit_code, 0) << command << ": " << r.output;
        EXPECT_TRUE(contains(r.output, "--dir")) << command << ": " << r.output;
    }
    RunResult none = lampi_ca({}, dir);
    EXPECT_NE(none.exit_code, 0);
}

TEST(LampiCaCli, InitIssueRevokeAndList) {
    TempDir dir;
    std::string ca = dir / "ca";
    ASSERT_EQ(lampi_ca({"init", "--dir", ca, "--name", "Test CA"}, dir).exit_code, 0);
    RunResult server = lampi_ca({"issue-server", "--dir", ca, "--out", dir / "server", "--dns", "localhost", "--ip",
                                 "127.0.0.1"},
                                dir);
    ASSERT_EQ(server.exit_code, 0) << server.output;
    RunResult device = lampi_ca({"issue-device", "B8:27:EB:74:66:3E", "--dir", ca, "--out", dir / "lamp"}, dir);
    ASSERT_EQ(device.exit_code, 0) << device.output;
    EXPECT_TRUE(contains(device.output, "b827eb74663e")) << device.output;
    RunResult old = lampi_ca({"issue-device", "b827eb740001", "--dir", ca, "--out", dir / "old", "--days", "1",
                              "--not-before-days-ago", "5"},
                             dir);
    ASSERT_EQ(old.exit_code, 0) << old.output;
    RunResult revoked = lampi_ca({"revoke", "b827eb74663e", "--dir", ca, "--reason", "keyCompromise"}, dir);
    ASSERT_EQ(revoked.exit_code, 0) << revoked.output;
    ASSERT_EQ(lampi_ca({"crl", "--dir", ca, "--crl-days", "2"}, dir).exit_code, 0);

    RunResult listed = lampi_ca({"list", "--dir", ca, "--json"}, dir);
    ASSERT_EQ(listed.exit_code, 0) << listed.output;
    boost::system::error_code ec;
    boost::json::value doc = boost::json::parse(listed.output, ec);
    ASSERT_FALSE(ec) << listed.output;
    const auto& certificates = doc.at("certificates").as_array();
    ASSERT_EQ(certificates.size(), 3u);
    EXPECT_EQ(certificates[0].at("kind").as_string(), "server");
    EXPECT_EQ(certificates[0].at("status").as_string(), "valid");
    EXPECT_EQ(certificates[1].at("cn").as_string(), "b827eb74663e");
    EXPECT_EQ(certificates[1].at("status").as_string(), "revoked");
    EXPECT_EQ(certificates[1].at("reason").as_string(), "keyCompromise");
    EXPECT_EQ(certificates[2].at("status").as_string(), "expired");

    RunResult table = lampi_ca({"list", "--dir", ca}, dir);
    ASSERT_EQ(table.exit_code, 0);
    EXPECT_TRUE(contains(table.output, "revoked")) << table.output;
    EXPECT_TRUE(contains(table.output, "expired")) << table.output;
}

TEST(LampiCaCli, SignDeviceCsrCertifiesTheLampsOwnKey) {
    TempDir dir;
    std::string ca = dir / "ca";
    ASSERT_EQ(lampi_ca({"init", "--dir", ca}, dir).exit_code, 0);
    // The lamp's side, as an operator could do it by hand with openssl.
    RunResult made = run({"/usr/bin/openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                          "-nodes", "-keyout", dir / "lamp.key", "-out", dir / "lamp.csr", "-subj", "/CN=b827eb74663e"},
                         dir / "openssl.log");
    ASSERT_EQ(made.exit_code, 0) << made.output;
    RunResult signed_csr = lampi_ca({"sign-device-csr", dir / "lamp.csr", "--dir", ca, "--out", dir / "lamp"}, dir);
    ASSERT_EQ(signed_csr.exit_code, 0) << signed_csr.output;
    EXPECT_TRUE(contains(signed_csr.output, "b827eb74663e")) << signed_csr.output;
    RunResult verified = run({"/usr/bin/openssl", "verify", "-CAfile", ca + "/ca.pem", "-purpose", "sslclient",
                              dir / "lamp.pem"},
                             dir / "verify.log");
    EXPECT_EQ(verified.exit_code, 0) << verified.output;
    // The same request again: the lamp already has a valid certificate.
    RunResult again = lampi_ca({"sign-device-csr", dir / "lamp.csr", "--dir", ca, "--out", dir / "again"}, dir);
    EXPECT_NE(again.exit_code, 0);
    EXPECT_TRUE(contains(again.output, "already exists")) << again.output;
    // A request for something that is not a device id.
    ASSERT_EQ(run({"/usr/bin/openssl", "req", "-new", "-key", dir / "lamp.key", "-out", dir / "ops.csr", "-subj",
                   "/CN=ops-console"},
                  dir / "openssl.log")
                  .exit_code,
              0);
    RunResult wrong = lampi_ca({"sign-device-csr", dir / "ops.csr", "--dir", ca, "--out", dir / "ops"}, dir);
    EXPECT_NE(wrong.exit_code, 0);
    EXPECT_TRUE(contains(wrong.output, "device id")) << wrong.output;
}

TEST(LampiCaCli, MisuseFailsWithAClearMessage) {
    TempDir dir;
    std::string ca = dir / "ca";
    struct Case {
        std::vector<std::string> args;
        std::string says;
    };
    RunResult missing = lampi_ca({"list", "--dir", ca}, dir);
    EXPECT_NE(missing.exit_code, 0);
    EXPECT_TRUE(contains(missing.output, "lampi-ca init")) << missing.output;

    ASSERT_EQ(lampi_ca({"init", "--dir", ca}, dir).exit_code, 0);
    lampi::testing::write_file(dir / "wrong-pass", "not it\n");
    for (const Case& c : std::vector<Case>{
             {{"init", "--dir", ca}, "already holds a CA"},
             {{"issue-device", "b827eb74663", "--dir", ca, "--out", dir / "x"}, "12 hex digits"},
             {{"issue-device", "b827eb74663e", "--dir", ca, "--out", dir / "no-such-dir/x"}, "does not exist"},
             {{"issue-device", "b827eb74663e", "--dir", ca, "--out", dir / "x", "--days", "0"}, "--days"},
             {{"issue-device", "b827eb74663e", "--dir", ca, "--out", dir / "x", "--key-type", "dsa"}, "key type"},
             {{"issue-server", "--dir", ca, "--out", dir / "s"}, "--dns"},
             {{"issue-client", "a b", "--dir", ca, "--out", dir / "c"}, "may use only"},
             {{"revoke", "7f", "--dir", ca}, "no certificate"},
             {{"revoke", "7f", "--dir", ca, "--reason", "boredom"}, "unknown revocation reason"},
             {{"crl", "--dir", ca, "--passphrase-file", dir / "no-such-file"}, "cannot read"},
             {{"issue-device", "b827eb74663e", "--out", dir / "x"}, "--dir"},
         }) {
        RunResult r = lampi_ca(c.args, dir);
        EXPECT_NE(r.exit_code, 0) << c.args[0] << " " << c.args[1];
        EXPECT_TRUE(contains(r.output, c.says)) << "expected '" << c.says << "' in: " << r.output;
    }
    ASSERT_EQ(lampi_ca({"issue-device", "b827eb74663e", "--dir", ca, "--out", dir / "a"}, dir).exit_code, 0);
    RunResult duplicate = lampi_ca({"issue-device", "b827eb74663e", "--dir", ca, "--out", dir / "b"}, dir);
    EXPECT_NE(duplicate.exit_code, 0);
    EXPECT_TRUE(contains(duplicate.output, "--force")) << duplicate.output;
    EXPECT_EQ(lampi_ca({"issue-device", "b827eb74663e", "--dir", ca, "--out", dir / "b", "--force"}, dir).exit_code, 0);
}

TEST(LampiCaCli, AnEncryptedCaKeyNeedsItsPassphrase) {
    TempDir dir;
    std::string ca = dir / "ca";
    // Passphrase files are owner-only, as lampi-ca insists.
    lampi::testing::write_file(dir / "pass", "correct horse\n");
    lampi::testing::write_file(dir / "wrong", "battery staple\n");
    ::chmod((dir / "pass").c_str(), 0600);
    ::chmod((dir / "wrong").c_str(), 0600);
    ASSERT_EQ(lampi_ca({"init", "--dir", ca, "--passphrase-file", dir / "pass"}, dir).exit_code, 0);
    RunResult none = lampi_ca({"issue-client", "ops", "--dir", ca, "--out", dir / "ops"}, dir);
    EXPECT_NE(none.exit_code, 0);
    EXPECT_TRUE(contains(none.output, "--passphrase-file")) << none.output;
    RunResult wrong =
        lampi_ca({"issue-client", "ops", "--dir", ca, "--out", dir / "ops", "--passphrase-file", dir / "wrong"}, dir);
    EXPECT_NE(wrong.exit_code, 0);
    EXPECT_TRUE(contains(wrong.output, "wrong passphrase")) << wrong.output;
    EXPECT_FALSE(contains(wrong.output, "battery")) << "the passphrase must not be echoed";
    RunResult right =
        lampi_ca({"issue-client", "ops", "--dir", ca, "--out", dir / "ops", "--passphrase-file", dir / "pass"}, dir);
    EXPECT_EQ(right.exit_code, 0) << right.output;
}

TEST(LampiCaCli, APassphraseFileOthersCanReadIsRefused) {
    TempDir dir;
    lampi::testing::write_file(dir / "pass", "correct horse\n");
    ::chmod((dir / "pass").c_str(), 0644);
    RunResult open = lampi_ca({"init", "--dir", dir / "ca", "--passphrase-file", dir / "pass"}, dir);
    EXPECT_NE(open.exit_code, 0);
    EXPECT_TRUE(contains(open.output, "chmod 600")) << open.output;
    EXPECT_FALSE(std::filesystem::exists(dir / "ca/ca.key"));
}

}  // namespace
}  // namespace lampi::ca
