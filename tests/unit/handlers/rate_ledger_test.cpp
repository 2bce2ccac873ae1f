// RateLedger: which requests are counted in PostgreSQL now and which from memory.
#include "handlers/rate_ledger.h"

#include <boost/test/unit_test.hpp>

using webpods::handlers::RateLedger;

namespace {

constexpr long long kWindow = 7200;
const RateLedger::Clock::time_point kStart{};

}  // namespace

BOOST_AUTO_TEST_SUITE(rate_ledger)

BOOST_AUTO_TEST_CASE(far_from_the_limit_counts_are_written_once_per_interval) {
    RateLedger ledger;
    const long long limit = 1000000;
    auto first = ledger.take("ip:1 read", limit, kWindow, kStart);
    BOOST_TEST(first.amount == 1);            // a worker's first request of a key is always written
    ledger.settle("ip:1 read", kWindow, 40);  // other workers had counted 39
    for (int n = 0; n < 5; ++n) {
        const auto ticket = ledger.take("ip:1 read", limit, kWindow, kStart);
        BOOST_TEST(ticket.amount == 0);
        BOOST_TEST(ticket.count == 41 + n);
    }
    const auto due = ledger.take("ip:1 read", limit, kWindow, kStart + RateLedger::kSyncInterval);
    BOOST_TEST(due.amount == 6);  // the five remembered and this one
    BOOST_TEST(due.count == 46);
}

BOOST_AUTO_TEST_CASE(near_the_limit_every_request_is_written) {
    RateLedger ledger;
    const long long limit = 5;  // a margin of kMinimumMargin covers the whole window
    for (int n = 1; n <= 5; ++n) {
        const auto ticket = ledger.take("auth:a write", limit, kWindow, kStart);
        BOOST_TEST(ticket.amount == 1);
        ledger.settle("auth:a write", kWindow, n);
    }
    const auto over = ledger.take("auth:a write", limit, kWindow, kStart);
    BOOST_TEST(over.amount == 0);  // refused from memory: the shared count only grows
    BOOST_TEST(over.count == 6);
}

BOOST_AUTO_TEST_CASE(the_margin_is_a_tenth_of_the_limit_and_at_least_the_minimum) {
    BOOST_TEST(RateLedger::margin(10) == RateLedger::kMinimumMargin);
    BOOST_TEST(RateLedger::margin(100000) == 10000);
    RateLedger ledger;
    const long long limit = 100000;
    ledger.take("k", limit, kWindow, kStart);
    ledger.settle("k", kWindow, limit - RateLedger::margin(limit) - 1);
    BOOST_TEST(ledger.take("k", limit, kWindow, kStart).amount == 0);  // one short of the margin
    BOOST_TEST(ledger.take("k", limit, kWindow, kStart).amount == 2);  // inside it: written
}

BOOST_AUTO_TEST_CASE(a_new_window_starts_from_nothing) {
    RateLedger ledger;
    ledger.take("k", 5, kWindow, kStart);
    ledger.settle("k", kWindow, 5);
    BOOST_TEST(ledger.take("k", 5, kWindow, kStart).count == 6);
    const auto next = ledger.take("k", 5, kWindow + 3600, kStart);
    BOOST_TEST(next.amount == 1);
    BOOST_TEST(next.count == 1);
    ledger.settle("k", kWindow, 99);  // a late answer for the old window changes nothing
    BOOST_TEST(ledger.take("k", 5, kWindow + 3600, kStart).count == 2);
}

BOOST_AUTO_TEST_SUITE_END()
