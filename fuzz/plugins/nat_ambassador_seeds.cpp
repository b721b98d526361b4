// Seeds of the nat-ambassador fuzz target. The last byte picks the decoder: 0 relay message,
// 1 dial-back request, 2 dial-back result, 3 status, 4 relay:// URI. See fuzz/seed_writer.hpp.
#include "../seed_writer.hpp"
#include "messages.hpp"

using namespace butter::nat;
using namespace butter::fuzz::seeds;

namespace {

void generate() {
  const std::string t = "nat-ambassador";
  const std::string a(64, 'a'), c(64, 'c');
  RelayMessage open{RelayType::Open, Leg::FromOrigin, 7, c, "", 0};
  write(t, "relay-open", cat(encode_relay(open), {0}));
  RelayMessage data{RelayType::Data, Leg::ToTarget, 7, "", "payload bytes", 0};
  write(t, "relay-data", cat(encode_relay(data), {0}));
  RelayMessage close{RelayType::Close, Leg::FromTarget, 8, "", "bye", 0};
  write(t, "relay-close", cat(encode_relay(close), {0}));
  write(t, "relay-register", cat(encode_relay(RelayMessage{RelayType::Register, Leg::FromOrigin, 0, "", "", 0}), {0}));
  write(t, "relay-flow", cat(encode_relay(RelayMessage{RelayType::Flow, Leg::FromOrigin, 7, "", "", 1 << 20}), {0}));
  write(t, "relay-credit", cat(encode_relay(RelayMessage{RelayType::Credit, Leg::ToOrigin, 7, "", "", 3 << 20}), {0}));
  write(t, "dialback", cat(encode_dialback(DialBackRequest{{7700, 7701}}), {1}));
  write(t, "dialback-result", cat(encode_dialback_result(DialBackResult{"198.18.0.2", {1, 0}}), {2}));
  StatusMessage s{Reach::Private, false, 0, 0, format_relay_endpoint(RelayEndpoint{a, "tcp://198.18.0.1:7000", c})};
  write(t, "status", cat(encode_status(s), {3}));
  write(t, "status-public", cat(encode_status(StatusMessage{Reach::Public, true, 3, 16, ""}), {3}));
  const std::string uri = format_relay_endpoint(RelayEndpoint{a, "tcp://198.18.0.1:7000", c});
  write(t, "relay-uri", cat(bytes(uri), {4}));
  write(t, "relay-uri-no-tcp", cat(bytes("relay://" + a + "@/" + c), {4}));
  write(t, "relay-uri-short-id", cat(bytes("relay://abc@/" + c), {4}));
}

}  // namespace

int main(int argc, char** argv) { return run(argc, argv, generate); }
