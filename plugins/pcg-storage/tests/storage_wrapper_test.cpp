// butter.storage/3 through the SDK's C++ wrapper (butter::Storage, StorageRead, StoragePut) on the
// SDK's fake host: streamed puts and pulled reads, and what happens when the consumer drops its
// StorageRead or StoragePut at awkward moments (inside a handler, before a result).
#include "storage3_harness.hpp"

TEST_CASE("the SDK's C++ wrapper streams a put and a pulled read through butter.storage/3") {
  Node n({{"replicas", std::int64_t{1}}, {"block_size", std::int64_t{4096}}});
  n.fh.services[BUTTER_IFACE_STORAGE_V3] = butter_service{sizeof(butter_service), n.v3(), n.p};
  butter::detail::DescriptorStorage desc{butter::Descriptor{.id = "test.consumer", .name = "Consumer"}};
  auto* consumer = new ConsumerPlugin(butter::Context{n.fh.host(), desc.c(), false});
  const butter_plugin* cp = consumer->c_plugin();
  butter_error err;
  butter_error_init(&err);
  REQUIRE(cp->init(cp, &err) == BUTTER_OK);
  REQUIRE(cp->start(cp, &err) == BUTTER_OK);
  {
    auto st = consumer->storage();
    REQUIRE(st.streams());
    const std::string data = random_string(100000, 3);
    butter::Status s;
    butter::StoragePut w = st.put_begin({"w"}, data.size(), &s);
    REQUIRE(s.ok());
    REQUIRE(w.writable());
    for (std::size_t off = 0; off < data.size(); off += 30000)
      REQUIRE(w.write(butter::Bytes(reinterpret_cast<const std::uint8_t*>(data.data()) + off,
                                    std::min<std::size_t>(30000, data.size() - off)))
                  .ok());
    std::vector<butter::PutResult> results;
    const std::string id = w.commit([&](const butter::PutResult& r) { results.push_back(r); }, &s);
    REQUIRE(s.ok());
    REQUIRE(id.size() == 64);
    REQUIRE(n.run_until([&] { return !results.empty(); }));
    CHECK(results.size() == 1);
    CHECK(results[0].ok());
    CHECK(results[0].object_id == id);

    std::string got;
    int done = 0;
    butter::Status end;
    butter::StorageRead read;
    read = st.open_read(
        id, 10, BUTTER_STORAGE_TO_END, 3, 1,
        [&](std::uint64_t offset, butter::Bytes chunk) {
          CHECK(offset == 10 + got.size());
          got.append(reinterpret_cast<const char*>(chunk.data()), chunk.size());
          CHECK(read.credit(1).ok());
        },
        [&](const butter::Status& status, std::uint64_t next) {
          ++done;
          end = status;
          CHECK(next == data.size());
        },
        &s);
    REQUIRE(s.ok());
    CHECK(read.active());
    REQUIRE(n.run_until([&] { return done > 0; }));
    CHECK(end.ok());
    CHECK(got == data.substr(10));
    CHECK_FALSE(read.active());
    // A read dropped while open is cancelled: the provider forgets it.
    {
      butter::StorageRead dropped = st.open_read(
          id, 0, BUTTER_STORAGE_TO_END, 2, 0, [](std::uint64_t, butter::Bytes) {},
          [](const butter::Status&, std::uint64_t) {});
      CHECK(n.obj->open_reads() == 1);
    }
    CHECK(n.obj->open_reads() == 0);
    // The provider is being swapped: the wrapper no longer calls the old vtable.
    butter::StorageRead stale = st.open_read(
        id, 0, BUTTER_STORAGE_TO_END, 2, 0, [](std::uint64_t, butter::Bytes) {},
        [](const butter::Status&, std::uint64_t) {});
    REQUIRE(stale.active());
    n.fh.services[BUTTER_IFACE_STORAGE_V3] = butter_service{sizeof(butter_service), nullptr, nullptr};
    CHECK(stale.credit(1).code() == BUTTER_E_UNAVAILABLE);
    CHECK_FALSE(stale.active());
  }
  // The old provider stops after the wrapper was dropped: it ends the read it was never told of
  // with done(CANCELLED) into a state the consumer's instance still keeps (no handler runs).
  n.stop();
  cp->stop(cp);
  cp->destroy(cp);
}

TEST_CASE("a committed StoragePut dropped before its result forgets the handler and the object is still stored") {
  Node n({{"replicas", std::int64_t{1}}, {"block_size", std::int64_t{4096}}});
  ConsumerNode c(n);
  auto st = c.obj->storage();
  const std::string data = random_string(20000, 7);
  int calls = 0;
  std::string id;
  {
    butter::StoragePut w = st.put_begin({"w"}, data.size());
    REQUIRE(w.write(butter::Bytes(reinterpret_cast<const std::uint8_t*>(data.data()), data.size())).ok());
    butter::Status s;
    id = w.commit([&](const butter::PutResult&) { ++calls; }, &s);
    REQUIRE(s.ok());
  }  // dropped: the provider must not call into the freed wrapper state
  Hash h{};
  REQUIRE(from_hex(id, h));
  REQUIRE(n.run_until([&] { return n.obj->engine().holds(h); }));
  CHECK(n.run_until([] { return false; }, 50) == false);  // time for a late result to show
  CHECK(calls == 0);

  // A handler that drops its own StoragePut runs to its end.
  butter::StoragePut w2 = st.put_begin({"w"}, 3);
  REQUIRE(w2.write(butter::Bytes(reinterpret_cast<const std::uint8_t*>("abc"), 3)).ok());
  std::string got;
  (void)w2.commit([&](const butter::PutResult& r) {
    w2 = butter::StoragePut{};
    got = r.object_id;
  });
  REQUIRE(n.run_until([&] { return !got.empty(); }));
  CHECK(got.size() == 64);
}

TEST_CASE("a StorageRead resumed from inside its done and dropped from inside a chunk handler") {
  Node n({{"replicas", std::int64_t{1}}, {"block_size", std::int64_t{4096}}});
  ConsumerNode c(n);
  auto st = c.obj->storage();
  const std::string data = random_string(30000, 11);
  const std::string id = store_streamed(n, st, data);

  // Resume: the first read covers [0, 10000); its done opens the rest, assigned to the same
  // StorageRead that owns the running done handler.
  std::string got;
  int dones = 0;
  butter::Status last;
  butter::StorageRead read;
  std::function<void(std::uint64_t, butter::Bytes)> on_chunk = [&](std::uint64_t off, butter::Bytes b) {
    CHECK(off == got.size());
    got.append(reinterpret_cast<const char*>(b.data()), b.size());
    (void)read.credit(1);
  };
  read = st.open_read(id, 0, 10000, 2, 1, on_chunk, [&](const butter::Status& s, std::uint64_t next) {
    CHECK(s.ok());
    CHECK(next == 10000);
    read = st.open_read(id, next, BUTTER_STORAGE_TO_END, 2, 1, on_chunk, [&](const butter::Status& s2, std::uint64_t) {
      ++dones;
      last = s2;
    });
    ++dones;  // after the assignment: this handler (its captures) must still be alive here
  });
  REQUIRE(read.active());
  REQUIRE(n.run_until([&] { return dones == 2; }));
  CHECK(last.ok());
  CHECK(got == data);

  // Dropped from inside a chunk handler: no further chunk or done, and the provider forgot it.
  int chunks = 0;
  int ended = 0;
  butter::StorageRead dropped;
  dropped = st.open_read(
      id, 0, BUTTER_STORAGE_TO_END, 4, 4,
      [&](std::uint64_t, butter::Bytes b) {
        dropped = butter::StorageRead{};
        ++chunks;  // after the drop: this handler (its captures) must still be alive here
        CHECK(b.size() > 0);
      },
      [&](const butter::Status&, std::uint64_t) { ++ended; });
  REQUIRE(n.run_until([&] { return chunks > 0; }));
  CHECK(n.run_until([] { return false; }, 50) == false);
  CHECK(chunks == 1);
  CHECK(ended == 0);
  CHECK(n.obj->open_reads() == 0);
}

TEST_CASE("the SDK's get reads an object over the events bus limit whole through butter.storage/3") {
  // /1's get answers on the events bus (at most 64 KiB): a larger object came back as an error.
  // With /3 the wrapper reads it as a stream, up to the get's max_bytes.
  Node n({{"replicas", std::int64_t{1}}, {"block_size", std::int64_t{4096}}});
  ConsumerNode c(n);
  auto st = c.obj->storage();
  const std::string data = random_string(200000, 11);
  butter::StoragePut w = st.put_begin({"big"}, data.size());
  REQUIRE(w.write(butter::Bytes(reinterpret_cast<const std::uint8_t*>(data.data()), data.size())).ok());
  std::string id;
  bool stored = false;
  id = w.commit([&](const butter::PutResult& r) { stored = r.ok(); });
  REQUIRE(n.run_until([&] { return stored; }));

  std::vector<butter::GetResult> got;
  st.get(id, [&](const butter::GetResult& r) { got.push_back(r); });
  CHECK(got.empty());  // never inside get()
  REQUIRE(n.run_until([&] { return !got.empty(); }));
  REQUIRE(got.size() == 1);
  CHECK(got[0].ok());
  CHECK(got[0].object_id == id);
  CHECK(got[0].data == data);
  CHECK(n.obj->open_reads() == 0);

  // Over the caller's max_bytes: refused once that much came, and the read is cancelled.
  got.clear();
  st.get(
      id, [&](const butter::GetResult& r) { got.push_back(r); }, butter::Storage::default_deadline, 100000);
  REQUIRE(n.run_until([&] { return !got.empty(); }));
  CHECK(got[0].status.code() == BUTTER_E_NOMEM);
  CHECK(got[0].status.message().find("larger than the 100000 bytes") != std::string::npos);
  CHECK(got[0].data.empty());
  CHECK(n.obj->open_reads() == 0);
  CHECK(n.run_until([] { return false; }, 50) == false);  // no second call comes
  CHECK(got.size() == 1);

  // A malformed id is refused by the provider at once, told later as every result is.
  got.clear();
  st.get("xyz", [&](const butter::GetResult& r) { got.push_back(r); });
  CHECK(got.empty());
  REQUIRE(n.run_until([&] { return !got.empty(); }));
  CHECK(got[0].status.code() == BUTTER_E_INVALID);
  CHECK(got[0].object_id == "xyz");
}
