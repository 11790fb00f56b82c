// BodyChannel (the queue between a connection and a handler reading a streamed body) and the
// std::istream adapter over it, without sockets.
#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "http/body_channel.hpp"

namespace molvault::http {
namespace {

using namespace std::chrono_literals;

TEST(BodyChannel, AsksForDataOnlyOnceTheHandlerReads) {
    std::atomic<int> demands{0};
    BodyChannel channel(100, 5s, [&demands] { ++demands; });
    EXPECT_FALSE(channel.wants_more()) << "nothing is read before the handler asks";
    channel.push("abc");
    channel.finish();
    EXPECT_EQ(channel.read_some(), "abc");
    EXPECT_EQ(demands.load(), 1);
    EXPECT_EQ(channel.read_some(), std::nullopt);
    EXPECT_EQ(channel.bytes_read(), 3U);
}

TEST(BodyChannel, StopsWantingDataWhileTheQueueIsFullAndAsksAgainWhenItDrains) {
    std::atomic<int> demands{0};
    BodyChannel channel(10, 5s, [&demands] { ++demands; });
    channel.push("0123456789");  // fills the queue before the handler's first read
    std::thread consumer([&channel] { EXPECT_EQ(channel.read_some(), "0123456789"); });
    consumer.join();
    EXPECT_EQ(demands.load(), 2) << "one to start, one because the read made room";
    EXPECT_TRUE(channel.wants_more());
    channel.push("0123456789");
    EXPECT_FALSE(channel.wants_more());
    EXPECT_EQ(channel.peak_buffered_bytes(), 10U);
}

TEST(BodyChannel, HandsOverQueuedDataBeforeTheFailure) {
    BodyChannel channel(100, 5s, [] {});
    channel.push("abc");
    channel.fail(BodyReadError::Reason::kTooLarge);
    EXPECT_EQ(channel.read_some(), "abc");
    try {
        (void)channel.read_some();
        FAIL() << "expected BodyReadError";
    } catch (const BodyReadError& error) {
        EXPECT_EQ(error.reason(), BodyReadError::Reason::kTooLarge);
        EXPECT_EQ(error.code(), ErrorCode::kPayloadTooLarge);
    }
    EXPECT_THROW((void)channel.read_some(), BodyReadError) << "every later call fails too";
}

TEST(BodyChannel, WakesAWaitingHandlerWhenTheConnectionFails) {
    BodyChannel channel(100, 30s, [] {});
    std::thread producer([&channel] {
        std::this_thread::sleep_for(20ms);
        channel.fail(BodyReadError::Reason::kDisconnected);
    });
    EXPECT_THROW((void)channel.read_some(), BodyReadError);
    producer.join();
}

TEST(BodyChannel, GivesUpWhenTheConnectionNeverAnswers) {
    BodyChannel channel(100, 50ms, [] {});
    try {
        (void)channel.read_some();
        FAIL() << "expected BodyReadError";
    } catch (const BodyReadError& error) {
        EXPECT_EQ(error.reason(), BodyReadError::Reason::kTimedOut);
    }
}

TEST(BodyChannel, IgnoresEmptyPiecesAndDataAfterClose) {
    BodyChannel channel(100, 5s, [] {});
    channel.push("");
    channel.close();
    channel.push("late");
    EXPECT_FALSE(channel.wants_more());
    EXPECT_THROW((void)channel.read_some(), BodyReadError) << "closed before the end";
}

TEST(BodyInputStream, ReadsLinesAcrossPieces) {
    BodyChannel channel(100, 5s, [] {});
    channel.push("first li");
    channel.push("ne\nsecond line\nthi");
    channel.push("rd");
    channel.finish();
    BodyInputStream in(channel);
    std::string line;
    std::vector<std::string> lines;
    while (std::getline(in, line)) {
        lines.push_back(line);
    }
    EXPECT_EQ(lines, (std::vector<std::string>{"first line", "second line", "third"}));
    EXPECT_TRUE(in.eof());
}

TEST(BodyInputStream, PropagatesAReadErrorInsteadOfEndingEarly) {
    BodyChannel channel(100, 5s, [] {});
    channel.push("complete line\npartial");
    channel.fail(BodyReadError::Reason::kTimedOut);
    BodyInputStream in(channel);
    std::string line;
    ASSERT_TRUE(std::getline(in, line));
    EXPECT_EQ(line, "complete line");
    EXPECT_THROW(std::getline(in, line), BodyReadError);
}

}  // namespace
}  // namespace molvault::http
