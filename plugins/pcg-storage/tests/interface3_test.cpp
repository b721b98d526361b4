// butter.storage/3 as a consumer sees it on the SDK's fake host (one node, r = 1): a streamed put
// of a large object through put_begin/put_write/put_commit, read back with open_read under
// pull credit; handlers never run inside the consumer's call; cancel; bad arguments; the
// events bus is not used for either.
#include "storage3_harness.hpp"

TEST_CASE("pcg-storage serves butter.storage/3 starting with /2's six calls") {
  Node n({{"replicas", std::int64_t{1}}});
  const auto* v2 = static_cast<const butter_storage_v2*>(n.p->get_extension(n.p, BUTTER_IFACE_STORAGE_V2));
  REQUIRE(n.v3() != nullptr);
  REQUIRE(v2 != nullptr);
  CHECK(n.v3()->put == v2->put);
  CHECK(n.v3()->get == v2->get);
  CHECK(n.v3()->read == v2->read);
  CHECK(n.v3()->manifest == v2->manifest);
}

TEST_CASE("a streamed put of 3 MiB in odd pieces round-trips through a streamed read under pull credit") {
  Node n({{"replicas", std::int64_t{1}}, {"capacity_bytes", std::int64_t{64} << 20}});
  const std::string data = random_string(3 * 1024 * 1024 + 17, 1);
  const std::string id = streamed_put(n, data, 100000);  // pieces across block boundaries
  // The same bytes put at once give the same id: the incremental hashing is the split's.
  {
    std::string why, id2;
    PcgStorage::Pending who;
    who.topic = "ignored";
    REQUIRE(n.obj->put(who, butter::Bytes(data), {"big"}, id2, why) == BUTTER_OK);
    CHECK(id2 == id);
  }
  Consumer c;
  c.node = &n;
  auto h = c.handlers();
  butter_error err;
  butter_error_init(&err);
  const std::uint32_t window = 4;
  REQUIRE(n.v3()->open_read(n.p, fake::str(id), 0, BUTTER_STORAGE_TO_END, window, 2, &h, &c.read_id, &err) ==
          BUTTER_OK);
  CHECK(c.got.empty());  // nothing inside open_read
  std::uint64_t peak = 0;
  REQUIRE(n.run_until([&] {
    if (auto rep = n.obj->read_report(c.read_id)) peak = std::max(peak, rep->peak_buffered_bytes);
    return c.done_calls > 0;
  }));
  CHECK(c.done_calls == 1);
  CHECK(c.status == BUTTER_OK);
  CHECK(c.in_order);
  CHECK(c.got == data);
  CHECK(c.next_offset == data.size());
  CHECK(peak <= window * 64 * 1024);
  CHECK(n.obj->open_reads() == 0);
  CHECK(n.v3()->read_credit(n.p, c.read_id, 1) == BUTTER_E_NOT_FOUND);
}

TEST_CASE("a streamed range read of a held object with cancel and bad arguments through butter.storage/3") {
  Node n({{"replicas", std::int64_t{1}}, {"block_size", std::int64_t{1024}}});
  const std::string data = random_string(10000, 2);
  const std::string id = streamed_put(n, data, 777);
  butter_error err;
  butter_error_init(&err);
  {
    Consumer c;
    c.node = &n;
    auto h = c.handlers();
    REQUIRE(n.v3()->open_read(n.p, fake::str(id), 999, 5000, 0, 1, &h, &c.read_id, &err) == BUTTER_OK);
    REQUIRE(n.run_until([&] { return c.done_calls > 0; }));
    CHECK(c.status == BUTTER_OK);
    CHECK(c.got == data.substr(999, 5000));
  }
  {
    // No credit: nothing is delivered; cancel frees the read and nothing is called after.
    Consumer c;
    c.node = &n;
    c.credit_from_callback = false;
    auto h = c.handlers();
    REQUIRE(n.v3()->open_read(n.p, fake::str(id), 0, BUTTER_STORAGE_TO_END, 3, 0, &h, &c.read_id, &err) == BUTTER_OK);
    n.run_until([] { return false; }, 50);
    CHECK(c.got.empty());
    auto rep = n.obj->read_report(c.read_id);
    REQUIRE(rep);
    // Exactly its window of 3 blocks (a read with no credit fetches up to it, never past it).
    CHECK(rep->buffered_bytes <= 3 * 1024);
    CHECK(rep->buffered_bytes == 3 * 1024);
    CHECK(rep->peak_buffered_bytes == 3 * 1024);
    CHECK(n.v3()->read_cancel(n.p, c.read_id) == BUTTER_OK);
    CHECK(n.obj->open_reads() == 0);
    CHECK_FALSE(n.obj->read_report(c.read_id));
    n.run_until([] { return false; }, 50);
    CHECK(c.done_calls == 0);
    CHECK(c.got.empty());
    CHECK(n.v3()->read_cancel(n.p, c.read_id) == BUTTER_E_NOT_FOUND);
  }
  Consumer c;
  auto h = c.handlers();
  std::uint64_t rid = 0;
  CHECK(n.v3()->open_read(n.p, fake::str("xyz"), 0, 1, 0, 1, &h, &rid, &err) == BUTTER_E_INVALID);
  CHECK(n.v3()->open_read(n.p, fake::str(id), 0, 1, BUTTER_STORAGE_MAX_STREAM_WINDOW + 1, 1, &h, &rid, &err) ==
        BUTTER_E_INVALID);
  CHECK(std::string(err.message).find("window") != std::string::npos);
  CHECK(n.v3()->open_read(n.p, fake::str(id), 0, 1, 0, 1, nullptr, &rid, &err) == BUTTER_E_INVALID);
  // A put past its expected size is refused and aborted; a commit short of it fails.
  std::uint64_t put = 0;
  REQUIRE(n.v3()->put_begin(n.p, nullptr, 0, 10, &put, &err) == BUTTER_OK);
  CHECK(n.v3()->put_write(n.p, put, fake::bytes(std::string(11, 'x')), &err) == BUTTER_E_NOMEM);
  CHECK(n.v3()->put_write(n.p, put, fake::bytes("x"), &err) == BUTTER_E_NOT_FOUND);
  REQUIRE(n.v3()->put_begin(n.p, nullptr, 0, 10, &put, &err) == BUTTER_OK);
  CHECK(n.v3()->put_write(n.p, put, fake::bytes("12345"), &err) == BUTTER_OK);
  PutResult res;
  butter_storage_put_handlers ph{sizeof ph, &res, &PutResult::done};
  char oid[65] = {};
  CHECK(n.v3()->put_commit(n.p, put, &ph, oid, &err) == BUTTER_E_INVALID);
  CHECK(std::string(err.message).find("expected 10") != std::string::npos);
  REQUIRE(n.v3()->put_begin(n.p, nullptr, 0, BUTTER_STORAGE_SIZE_UNKNOWN, &put, &err) == BUTTER_OK);
  CHECK(n.v3()->put_abort(n.p, put) == BUTTER_OK);
  CHECK(n.v3()->put_abort(n.p, put) == BUTTER_E_NOT_FOUND);
  n.run_until([] { return false; }, 20);
  CHECK(res.calls == 0);
}

TEST_CASE("a streamed read of an object nobody holds ends with NOT_FOUND through done and not inside open_read") {
  Node n({{"replicas", std::int64_t{1}}});
  Consumer c;
  c.node = &n;
  auto h = c.handlers();
  butter_error err;
  butter_error_init(&err);
  REQUIRE(n.v3()->open_read(n.p, fake::str(std::string(64, 'a')), 0, BUTTER_STORAGE_TO_END, 0, 4, &h, &c.read_id,
                            &err) == BUTTER_OK);
  CHECK(c.done_calls == 0);
  REQUIRE(n.run_until([&] { return c.done_calls > 0; }));
  CHECK(c.status == BUTTER_E_NOT_FOUND);
  CHECK(c.next_offset == 0);
  CHECK_FALSE(c.reason.empty());
}

TEST_CASE("open streamed puts together stay within the free storage budget") {
  Node n({{"replicas", std::int64_t{1}}, {"capacity_bytes", std::int64_t{100000}}});
  butter_error err;
  butter_error_init(&err);
  std::uint64_t a = 0, b = 0;
  REQUIRE(n.v3()->put_begin(n.p, nullptr, 0, BUTTER_STORAGE_SIZE_UNKNOWN, &a, &err) == BUTTER_OK);
  REQUIRE(n.v3()->put_begin(n.p, nullptr, 0, BUTTER_STORAGE_SIZE_UNKNOWN, &b, &err) == BUTTER_OK);
  const std::string piece(60000, 'p');
  CHECK(n.v3()->put_write(n.p, a, fake::bytes(piece), &err) == BUTTER_OK);
  CHECK(n.v3()->put_write(n.p, b, fake::bytes(piece), &err) == BUTTER_E_NOMEM);  // 120000 > 100000 held
  CHECK(std::string(err.message).find("free storage budget") != std::string::npos);
  CHECK(n.v3()->put_write(n.p, b, fake::bytes("x"), &err) == BUTTER_E_NOT_FOUND);  // aborted
  CHECK(n.v3()->put_abort(n.p, a) == BUTTER_OK);
  // Once a is gone its bytes no longer count.
  REQUIRE(n.v3()->put_begin(n.p, nullptr, 0, BUTTER_STORAGE_SIZE_UNKNOWN, &b, &err) == BUTTER_OK);
  CHECK(n.v3()->put_write(n.p, b, fake::bytes(piece), &err) == BUTTER_OK);
  // Over the expected size at begin: refused at once.
  std::uint64_t c = 0;
  CHECK(n.v3()->put_begin(n.p, nullptr, 0, 200000, &c, &err) == BUTTER_E_NOMEM);
}

TEST_CASE("a streamed put's declared size is set aside in the storage budget until commit or abort") {
  Node n({{"replicas", std::int64_t{1}}, {"capacity_bytes", std::int64_t{100000}}});
  butter_error err;
  butter_error_init(&err);
  std::uint64_t a = 0, b = 0;
  REQUIRE(n.v3()->put_begin(n.p, nullptr, 0, 60000, &a, &err) == BUTTER_OK);
  // Nothing written yet, but the 60000 bytes a declared are no longer free for anyone else.
  CHECK(n.obj->engine().budget().free() == 40000);
  CHECK(n.obj->engine().budget().used() == 0);  // set aside, not stored
  CHECK(n.v3()->put_begin(n.p, nullptr, 0, 50000, &b, &err) == BUTTER_E_NOMEM);
  INFO(err.message);
  CHECK(std::string(err.message).find("free storage budget (40000 bytes)") != std::string::npos);
  // A put of unknown size sets aside what it writes, within what is left.
  REQUIRE(n.v3()->put_begin(n.p, nullptr, 0, BUTTER_STORAGE_SIZE_UNKNOWN, &b, &err) == BUTTER_OK);
  CHECK(n.v3()->put_write(n.p, b, fake::bytes(std::string(30000, 'b')), &err) == BUTTER_OK);
  CHECK(n.obj->engine().budget().free() == 10000);
  CHECK(n.v3()->put_write(n.p, b, fake::bytes(std::string(20000, 'b')), &err) == BUTTER_E_NOMEM);
  CHECK(std::string(err.message).find("free storage budget") != std::string::npos);
  CHECK(n.obj->engine().budget().free() == 40000);  // b aborted: its 30000 bytes are free again
  // a commits within what it set aside: the budget then holds the object, nothing set aside.
  const std::string data(60000, 'a');
  CHECK(n.v3()->put_write(n.p, a, fake::bytes(data), &err) == BUTTER_OK);
  PutResult res;
  butter_storage_put_handlers ph{sizeof ph, &res, &PutResult::done};
  char id[65] = {};
  REQUIRE(n.v3()->put_commit(n.p, a, &ph, id, &err) == BUTTER_OK);
  REQUIRE(n.run_until([&] { return res.calls > 0; }));
  CHECK(res.status == BUTTER_OK);
  CHECK(n.obj->engine().budget().aside() == 0);
  CHECK(n.obj->engine().budget().used() >= 60000);
  CHECK(n.obj->engine().budget().free() == 100000 - n.obj->engine().budget().used());
}

TEST_CASE("a streamed put idle past put_idle_ms is aborted and its reservation freed") {
  Node n({{"replicas", std::int64_t{1}}, {"capacity_bytes", std::int64_t{100000}}, {"put_idle_ms", std::int64_t{500}}});
  butter_error err;
  butter_error_init(&err);
  std::uint64_t idle = 0, busy = 0;
  REQUIRE(n.v3()->put_begin(n.p, nullptr, 0, 50000, &idle, &err) == BUTTER_OK);
  REQUIRE(n.v3()->put_begin(n.p, nullptr, 0, BUTTER_STORAGE_SIZE_UNKNOWN, &busy, &err) == BUTTER_OK);
  CHECK(n.obj->engine().budget().free() == 50000);
  // `busy` writes every 100 ms; `idle` never does.
  for (int i = 0; i < 10; ++i) {
    n.fh.advance(100);
    REQUIRE(n.v3()->put_write(n.p, busy, fake::bytes(std::string(1000, 'w')), &err) == BUTTER_OK);
  }
  // 1 s later: the idle put is gone and its 50000 bytes are free; the busy one is still open.
  CHECK(n.v3()->put_write(n.p, idle, fake::bytes("x"), &err) == BUTTER_E_NOT_FOUND);
  CHECK(std::string(err.message).find("put_idle_ms") != std::string::npos);
  CHECK(n.obj->engine().budget().aside() == 10000);
  CHECK(n.obj->engine().budget().free() == 90000);
  // Then the busy one stops writing too: aborted in its turn, nothing set aside any more.
  n.fh.advance(600);
  CHECK(n.obj->engine().budget().aside() == 0);
  CHECK(n.v3()->put_abort(n.p, busy) == BUTTER_E_NOT_FOUND);
}

TEST_CASE("stop ends open and queued reads with the offset their consumer reached and refuses new calls") {
  Node n({{"replicas", std::int64_t{1}}, {"block_size", std::int64_t{4096}}});
  const std::string data = random_string(10000, 31);
  const std::string id = streamed_put(n, data, 3000);
  struct Seen {
    int chunks = 0, dones = 0;
    std::uint64_t got = 0, next_offset = UINT64_MAX;
    butter_status status = BUTTER_OK;
    butter_status reopen = BUTTER_OK;
  };
  Seen partial, queued;
  std::string why;
  auto handlers = [&](Seen& s) {
    PcgStorage::ReadHandlers h;
    h.chunk = [&s](std::uint64_t offset, std::span<const std::uint8_t> b) {
      ++s.chunks;
      s.got = offset + b.size();
    };
    h.done = [&s, &n, &id](butter_status st, std::uint64_t next, const std::string&) {
      ++s.dones;
      s.status = st;
      s.next_offset = next;
      // A consumer that resumes from its done handler: refused while the node stops.
      std::uint64_t again = 0;
      std::string w;
      s.reopen = n.obj->open_read(id, next, UINT64_MAX, 1, 1,
                                  PcgStorage::ReadHandlers{[](std::uint64_t, std::span<const std::uint8_t>) {},
                                                           [](butter_status, std::uint64_t, const std::string&) {},
                                                           {}},
                                  again, w);
    };
    return h;
  };
  // One chunk delivered (4096 bytes from offset 1000: to the end of block 0), then no more credit.
  std::uint64_t r1 = 0, r2 = 0;
  REQUIRE(n.obj->open_read(id, 1000, UINT64_MAX, 2, 1, handlers(partial), r1, why) == BUTTER_OK);
  REQUIRE(n.run_until([&] { return partial.chunks == 1; }));
  // A read at the object's end: the engine ends it inside open_read; its done is queued for the
  // next flush, which stop() comes before.
  REQUIRE(n.obj->open_read(id, data.size(), UINT64_MAX, 2, 1, handlers(queued), r2, why) == BUTTER_OK);
  CHECK(queued.dones == 0);
  n.stop();
  CHECK(partial.dones == 1);
  CHECK(partial.status == BUTTER_E_CANCELLED);
  CHECK(partial.next_offset == 4096);  // what the consumer got, where it resumes
  CHECK(partial.got == 4096);
  CHECK(queued.dones == 1);
  CHECK(queued.next_offset == data.size());  // not 0: it had reached the end
  CHECK(partial.reopen == BUTTER_E_CANCELLED);
  CHECK(queued.reopen == BUTTER_E_CANCELLED);
  CHECK(n.obj->open_reads() == 0);
  std::uint64_t put = 0;
  CHECK(n.obj->put_begin({}, std::nullopt, put, why) == BUTTER_E_CANCELLED);
}
