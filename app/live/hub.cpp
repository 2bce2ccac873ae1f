// Live hub: one epoll loop over the live readers' FastCGI connections, fed by a poll of the
// watched streams' heads. Everything but the inbox belongs to the hub's thread alone.
#include "live/hub.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <limits>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "errors/errors.h"
#include "handlers/live.h"
#include "live/subscription.h"
#include "metrics/metrics.h"
#include "store/records.h"
#include "store/streams.h"

namespace webpods::live {

namespace {

using Clock = std::chrono::steady_clock;

// Bytes queued for one reader past which it gets no more records until nginx has taken them: a
// slow reader costs this much memory, never the others' latency. It catches up from PostgreSQL.
constexpr std::size_t kHighWater = std::size_t{256} * 1024;
// Sent bytes kept at the front of a reader's queue before they are dropped from it.
constexpr std::size_t kCompactAfter = std::size_t{64} * 1024;
// What one poll reads of one stream at most, for the readers furthest behind.
constexpr long long kBatchRecords = 1000;
constexpr long long kBatchBytes = 4LL * 1024 * 1024;
constexpr int kMaxEvents = 256;
constexpr int kIdleWaitMilliseconds = 1000;
constexpr std::chrono::milliseconds kStopGrace{1000};
constexpr std::chrono::milliseconds kAfterFailure{1000};

struct Held {
    fcgi::Connection connection;
    Subscription subscription;
    http::Response held;  // a long poll's answer, whose body is still to come
    std::string out;      // FastCGI records not yet written
    std::size_t sent = 0;
    Clock::time_point last_output;
    bool waits_for_writable = false;
    bool starved = false;  // skipped for lack of room: catch up once the queue drains
    bool ending = false;   // the end of the answer is queued: close once it is written
};

struct Watched {
    std::string pod;
    std::string stream_name;
    long long pod_id = 0;
    long long count = -1;  // unknown until the first poll after the stream's first reader
    store::AccessFacts access;
    bool recheck = false;
    std::unordered_set<int> readers;
};

}  // namespace

class Hub::Loop {
public:
    explicit Loop(Hub& hub) : hub_(hub), epoll_fd_(epoll_create1(EPOLL_CLOEXEC)) {
        epoll_event event{};
        event.events = EPOLLIN;
        event.data.fd = hub_.wake_fd_;
        epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, hub_.wake_fd_, &event);
    }

    ~Loop() {
        while (!readers_.empty()) {
            close_reader(readers_.begin()->first);
        }
        ::close(epoll_fd_);
    }

    Loop(const Loop&) = delete;
    Loop& operator=(const Loop&) = delete;

    void run() {
        std::array<epoll_event, kMaxEvents> events{};
        const std::chrono::milliseconds interval(hub_.worker_.config.live.poll_milliseconds);
        while (!hub_.stopping_.load()) {
            const int ready =
                epoll_wait(epoll_fd_, events.data(), kMaxEvents, wait_milliseconds(interval));
            for (int n = 0; n < ready; ++n) {
                on_event(events[static_cast<std::size_t>(n)]);
            }
            const Clock::time_point now = Clock::now();
            if (!readers_.empty() && (catch_up_ || now >= next_poll_)) {
                next_poll_ = now + interval;
                catch_up_ = false;
                poll();
            }
            expire(Clock::now());
        }
        end_all();
    }

private:
    int wait_milliseconds(std::chrono::milliseconds interval) const {
        if (readers_.empty()) {
            return kIdleWaitMilliseconds;
        }
        if (catch_up_) {
            return 0;
        }
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(next_poll_ - Clock::now());
        return static_cast<int>(std::clamp(left, std::chrono::milliseconds(0), interval).count());
    }

    // ---- connections -------------------------------------------------------------------------

    void on_event(const epoll_event& event) {
        const int fd = event.data.fd;
        if (fd == hub_.wake_fd_) {
            std::uint64_t count = 0;
            if (read(hub_.wake_fd_, &count, sizeof(count)) < 0) {
                count = 0;  // another wake-up already drained it
            }
            take_inbox();
            return;
        }
        if (readers_.count(fd) == 0) {
            return;
        }
        // nginx closes its side when the client goes away (or its timeouts end the request).
        if ((event.events & (EPOLLERR | EPOLLHUP | EPOLLRDHUP)) != 0U) {
            close_reader(fd);
            return;
        }
        if ((event.events & EPOLLIN) != 0U && !discard_input(fd)) {
            return;
        }
        if ((event.events & EPOLLOUT) != 0U) {
            flush(fd);
        }
    }

    void take_inbox() {
        std::vector<Adopted> adopted;
        {
            const std::lock_guard<std::mutex> lock(hub_.inbox_mutex_);
            adopted.swap(hub_.inbox_);
        }
        for (Adopted& each : adopted) {
            adopt(std::move(each));
        }
    }

    void adopt(Adopted adopted) {
        const int fd = adopted.connection.fd;
        epoll_event event{};
        event.events = EPOLLIN | EPOLLRDHUP;
        event.data.fd = fd;
        if (hub_.stopping_.load() || epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event) != 0) {
            ::close(fd);
            hub_.held_.fetch_sub(1);
            metrics::add_subscribers(-1);
            return;
        }
        Held reader;
        reader.connection = adopted.connection;
        reader.subscription = *adopted.response.subscription;
        adopted.response.subscription.reset();
        reader.last_output = Clock::now();
        const Subscription& subscription = reader.subscription;
        auto [found, is_new] = watched_.try_emplace(subscription.stream_id);
        Watched& watched = found->second;
        if (is_new) {
            watched.pod = subscription.pod;
            watched.stream_name = subscription.stream_name;
            watched.pod_id = subscription.pod_id;
            watched.access = subscription.access;
        } else if (!(watched.access == subscription.access)) {
            // Checked against other facts than the stream's other readers: check them all
            // against the present ones at the next poll.
            watched.recheck = true;
        }
        watched.readers.insert(fd);
        const Mode mode = subscription.mode;
        Held& held = readers_.emplace(fd, std::move(reader)).first->second;
        if (mode == Mode::kEvents) {
            send(fd, fcgi::cgi_head(adopted.response) + adopted.response.body, false);
        } else {
            held.held = std::move(adopted.response);
        }
    }

    // Reads and drops what nginx sends after the request (the end of FCGI_STDIN); false when
    // the connection closed.
    bool discard_input(int fd) {
        std::array<char, 4096> buffer{};
        for (;;) {
            const ssize_t got = read(fd, buffer.data(), buffer.size());
            if (got > 0) {
                continue;
            }
            if (got < 0 && errno == EINTR) {
                continue;
            }
            if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                return true;
            }
            close_reader(fd);
            return false;
        }
    }

    // Queues bytes as FastCGI output (with the end of the answer when `last`) and writes what
    // the socket takes. May close the reader: the caller must not touch it afterwards.
    void send(int fd, std::string_view bytes, bool last) {
        Held& reader = readers_.at(fd);
        fcgi::append_stdout(reader.out, reader.connection.request_id, bytes);
        if (last) {
            fcgi::append_end(reader.out, reader.connection.request_id);
            reader.ending = true;
            unwatch(fd, reader.subscription.stream_id);
        }
        reader.last_output = Clock::now();
        flush(fd);
    }

    void flush(int fd) {
        Held& reader = readers_.at(fd);
        while (reader.sent < reader.out.size()) {
            const ssize_t wrote = ::send(
                fd, reader.out.data() + reader.sent, reader.out.size() - reader.sent, MSG_NOSIGNAL);
            if (wrote > 0) {
                reader.sent += static_cast<std::size_t>(wrote);
            } else if (wrote < 0 && errno == EINTR) {
                continue;
            } else if (wrote < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                if (reader.sent > kCompactAfter) {
                    reader.out.erase(0, reader.sent);
                    reader.sent = 0;
                }
                wait_for_writable(fd, reader, true);
                return;
            } else {
                close_reader(fd);
                return;
            }
        }
        reader.out.clear();
        reader.sent = 0;
        wait_for_writable(fd, reader, false);
        if (reader.ending) {
            close_reader(fd);
            return;
        }
        if (reader.starved) {
            reader.starved = false;
            catch_up_ = true;
        }
    }

    void wait_for_writable(int fd, Held& reader, bool wanted) const {
        if (reader.waits_for_writable == wanted) {
            return;
        }
        epoll_event event{};
        event.events = EPOLLIN | EPOLLRDHUP | (wanted ? EPOLLOUT : 0U);
        event.data.fd = fd;
        epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &event);
        reader.waits_for_writable = wanted;
    }

    static bool has_room(const Held& reader) {
        return reader.out.size() - reader.sent < kHighWater;
    }

    void unwatch(int fd, long long stream_id) {
        const auto found = watched_.find(stream_id);
        if (found == watched_.end()) {
            return;
        }
        found->second.readers.erase(fd);
        if (found->second.readers.empty()) {
            watched_.erase(found);
        }
    }

    void close_reader(int fd) {
        const auto found = readers_.find(fd);
        if (found == readers_.end()) {
            return;
        }
        epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
        ::close(fd);
        unwatch(fd, found->second.subscription.stream_id);
        readers_.erase(found);
        hub_.held_.fetch_sub(1);
        metrics::add_subscribers(-1);
    }

    // ---- ends and answers --------------------------------------------------------------------

    // SPEC §11: an event stream ends with `event: end`; a long poll answers 403 or 404.
    void end(int fd, handlers::EndReason reason) {
        Held& reader = readers_.at(fd);
        if (reader.ending) {
            return;
        }
        if (reader.subscription.mode == Mode::kEvents) {
            send(fd, handlers::end_event(reason), true);
            return;
        }
        http::Response answer = http::error_response(errors::Error(
            reason == handlers::EndReason::kForbidden ? errors::Code::kForbidden
                                                      : errors::Code::kStreamNotFound));
        for (auto& [name, value] : reader.held.headers) {
            if (name.rfind("X-RateLimit-", 0) == 0) {
                answer.set_header(name, value);
            }
        }
        answer_poll(fd, answer);
    }

    void answer_poll(int fd, const http::Response& answer) {
        send(fd, fcgi::cgi_head(answer) + answer.body, true);
    }

    // A long poll's answer with the records it waited for (none when it timed out).
    void answer_poll_with(int fd, const std::vector<store::Record>& records, std::size_t offset) {
        Held& reader = readers_.at(fd);
        const auto found = watched_.find(reader.subscription.stream_id);
        const long long count = found != watched_.end() && found->second.count >= 0
                                    ? found->second.count
                                    : reader.subscription.next_index;
        http::Response answer = std::move(reader.held);
        answer.body =
            handlers::list_json(records,
                                offset,
                                reader.subscription.limit,
                                std::max(count, reader.subscription.next_index),
                                static_cast<std::size_t>(hub_.worker_.config.max_response_size));
        answer_poll(fd, answer);
    }

    void end_stream(long long stream_id, handlers::EndReason reason) {
        const auto found = watched_.find(stream_id);
        if (found == watched_.end()) {
            return;
        }
        const std::vector<int> fds(found->second.readers.begin(), found->second.readers.end());
        for (const int fd : fds) {
            if (readers_.count(fd) != 0) {
                end(fd, reason);
            }
        }
    }

    // Stopping: event streams end (the client reconnects with Last-Event-ID to another worker),
    // long polls answer with no records, and what is queued gets kStopGrace to go out.
    void end_all() {
        take_inbox();
        std::vector<int> fds;
        fds.reserve(readers_.size());
        for (const auto& [fd, reader] : readers_) {
            fds.push_back(fd);
        }
        for (const int fd : fds) {
            const auto found = readers_.find(fd);
            if (found == readers_.end() || found->second.ending) {
                continue;
            }
            if (found->second.subscription.mode == Mode::kEvents) {
                send(fd, {}, true);
            } else {
                answer_poll_with(fd, {}, 0);
            }
        }
        const Clock::time_point deadline = Clock::now() + kStopGrace;
        std::array<epoll_event, kMaxEvents> events{};
        while (!readers_.empty() && Clock::now() < deadline) {
            const int ready = epoll_wait(epoll_fd_, events.data(), kMaxEvents, 100);
            for (int n = 0; n < ready; ++n) {
                on_event(events[static_cast<std::size_t>(n)]);
            }
        }
    }

    // ---- timers ------------------------------------------------------------------------------

    void expire(Clock::time_point now) {
        const std::chrono::seconds keepalive(hub_.worker_.config.live.keepalive_seconds);
        const auto unix_now = static_cast<std::int64_t>(std::time(nullptr));
        std::vector<int> timed_out;
        std::vector<int> silent;
        for (auto& [fd, reader] : readers_) {
            if (reader.ending) {
                continue;
            }
            Subscription& subscription = reader.subscription;
            if (subscription.reader.expires_at != 0 && subscription.reader.expires_at <= unix_now) {
                // The token ran out: from now on the reader is anonymous, and is checked as such.
                subscription.reader = {};
                const auto found = watched_.find(subscription.stream_id);
                if (found != watched_.end()) {
                    found->second.recheck = true;
                    catch_up_ = true;
                }
            }
            if (subscription.mode == Mode::kLongPoll) {
                if (now >= subscription.deadline) {
                    timed_out.push_back(fd);
                }
            } else if (now - reader.last_output >= keepalive) {
                silent.push_back(fd);
            }
        }
        for (const int fd : timed_out) {
            answer_poll_with(fd, {}, 0);
        }
        for (const int fd : silent) {
            send(fd, handlers::kKeepaliveEvent, false);
        }
    }

    // ---- what PostgreSQL says ----------------------------------------------------------------

    // Runs use_case on the hub's own session; false (logged once per outage) when it failed.
    template <typename UseCase>
    bool with_database(UseCase&& use_case) {
        try {
            hub_.database_.run(store::Retry::kAlsoAfterLostConnection, use_case);
            if (failing_) {
                failing_ = false;
                hub_.log_error_("live: database reachable again");
            }
            return true;
        } catch (const errors::Error& error) {
            if (!failing_) {
                failing_ = true;
                hub_.log_error_("live: " + std::string(error.public_code()) + ": " +
                                error.detail());
            }
            next_poll_ = Clock::now() + kAfterFailure;
            return false;
        } catch (const std::exception& error) {
            // Never expected; the thread must outlive it all the same.
            hub_.log_error_(std::string("live: unexpected: ") + error.what());
            next_poll_ = Clock::now() + kAfterFailure;
            return false;
        }
    }

    // Reads the heads of the watched streams, of their allow lists and their pods' owners, and
    // acts on what changed: deletions end, changed access facts are checked again, new records
    // go out. Polls take at most about a tenth of the hub's time: with very many watched
    // streams the interval grows.
    void poll() {
        std::vector<long long> stream_ids;
        std::vector<long long> pod_ids;
        stream_ids.reserve(2 * watched_.size());
        for (const auto& [id, watched] : watched_) {
            stream_ids.push_back(id);
            if (watched.access.allow_list_id != 0) {
                stream_ids.push_back(watched.access.allow_list_id);
            }
            pod_ids.push_back(watched.pod_id);
        }
        const Clock::time_point started = Clock::now();
        store::Heads heads;
        if (!with_database(
                [&](store::Tx& tx) { heads = store::read_heads(tx, stream_ids, pod_ids); })) {
            return;
        }
        // The lesser of the last two durations: a single slow poll (the first, which connects,
        // or a hiccup) does not stretch the interval.
        const Clock::duration took = Clock::now() - started;
        next_poll_ = std::max(next_poll_, started + 10 * std::min(took, last_poll_took_));
        last_poll_took_ = took;
        std::vector<long long> ids;
        ids.reserve(watched_.size());
        for (const auto& [id, watched] : watched_) {
            ids.push_back(id);
        }
        for (const long long id : ids) {
            const auto found = watched_.find(id);
            if (found == watched_.end()) {
                continue;
            }
            const auto count = heads.record_counts.find(id);
            const auto owner = heads.owners.find(found->second.pod_id);
            if (count == heads.record_counts.end() || owner == heads.owners.end()) {
                end_stream(id, handlers::EndReason::kDeleted);
                continue;
            }
            Watched& watched = found->second;
            watched.count = count->second;
            store::AccessFacts present;
            present.owner_id = owner->second;
            const auto list = heads.record_counts.find(watched.access.allow_list_id);
            if (watched.access.allow_list_id != 0 && list != heads.record_counts.end()) {
                present.allow_list_id = list->first;
                present.allow_list_count = list->second;
            }
            if (watched.recheck || !(watched.access == present)) {
                recheck(id);
            }
        }
        for (const long long id : ids) {
            deliver(id);
        }
    }

    // The stream's access facts changed (or a reader's token ran out): every reader is checked
    // again against the pod context as it is now.
    void recheck(long long stream_id) {
        Watched& watched = watched_.at(stream_id);
        std::vector<int> refused;
        bool gone = false;
        store::AccessFacts present;
        const bool checked = with_database([&](store::Tx& tx) {
            refused.clear();
            const auto context = store::load_pod_context(tx, watched.pod, watched.stream_name);
            gone = !context || !context->stream || context->stream->head.id != stream_id;
            if (gone) {
                return;
            }
            present = store::access_facts(*context);
            for (const int fd : watched.readers) {
                const Held& reader = readers_.at(fd);
                if (!handlers::may_still_read(
                        hub_.worker_.cache, tx, reader.subscription.reader, *context)) {
                    refused.push_back(fd);
                }
            }
        });
        if (!checked) {
            return;  // recheck stays due
        }
        if (gone) {
            end_stream(stream_id, handlers::EndReason::kDeleted);
            return;
        }
        watched.access = present;
        watched.recheck = false;
        for (const int fd : refused) {
            end(fd, handlers::EndReason::kForbidden);
        }
    }

    // The first record some reader of the stream lacks and has room for; marks the readers
    // skipped for lack of room. nullopt: nobody needs anything now.
    std::optional<long long> furthest_behind(const Watched& watched) {
        std::optional<long long> first;
        for (const int fd : watched.readers) {
            Held& reader = readers_.at(fd);
            const long long next = reader.subscription.next_index;
            if (next >= watched.count) {
                continue;
            }
            if (reader.subscription.mode == Mode::kEvents && !has_room(reader)) {
                reader.starved = true;
                continue;
            }
            first = first ? std::min(*first, next) : next;
        }
        return first;
    }

    // Records [first, end) of a stream, within kBatchBytes; empty when the database failed.
    std::vector<store::Record> read_batch(long long stream_id, long long first, long long end) {
        std::vector<store::Record> records;
        with_database([&](store::Tx& tx) {
            records.clear();
            store::for_each_record(tx,
                                   stream_id,
                                   first,
                                   end,
                                   kBatchBytes,
                                   [&records](const store::RecordView& record) {
                                       records.push_back(store::to_record(record));
                                       return true;
                                   });
        });
        return records;
    }

    // The events of records[offset..], each record rendered only the first time it is needed.
    static std::string events_from(const std::vector<store::Record>& records,
                                   std::vector<std::string>& events,
                                   std::size_t offset) {
        std::string text;
        for (std::size_t n = offset; n < records.size(); ++n) {
            if (events[n].empty()) {
                events[n] = handlers::record_event(records[n]);
            }
            text += events[n];
        }
        return text;
    }

    // Sends the stream's readers the records they lack, read once and rendered once for all.
    void deliver(long long stream_id) {
        const auto found = watched_.find(stream_id);
        if (found == watched_.end() || found->second.count < 0) {
            return;
        }
        const long long count = found->second.count;
        const std::optional<long long> first = furthest_behind(found->second);
        if (!first) {
            return;
        }
        const std::vector<store::Record> records =
            read_batch(stream_id, *first, std::min(count, *first + kBatchRecords));
        if (records.empty()) {
            return;
        }
        const long long last = records.back().index;
        std::vector<std::string> events(records.size());  // each record's, rendered once
        std::vector<std::string> texts(records.size());   // the events from an offset on
        const std::vector<int> fds(found->second.readers.begin(), found->second.readers.end());
        for (const int fd : fds) {
            const auto held = readers_.find(fd);
            if (held == readers_.end() || held->second.ending) {
                continue;
            }
            Held& reader = held->second;
            const long long next = reader.subscription.next_index;
            if (next < *first || next > last) {
                continue;
            }
            const auto offset = static_cast<std::size_t>(next - *first);
            if (reader.subscription.mode == Mode::kLongPoll) {
                answer_poll_with(fd, records, offset);
            } else if (has_room(reader)) {
                if (texts[offset].empty()) {
                    texts[offset] = events_from(records, events, offset);
                }
                reader.subscription.next_index = last + 1;
                send(fd, texts[offset], false);
            }
        }
        if (last + 1 < count) {
            catch_up_ = true;
        }
    }

    Hub& hub_;
    int epoll_fd_;
    std::unordered_map<int, Held> readers_;
    std::unordered_map<long long, Watched> watched_;
    Clock::time_point next_poll_ = Clock::now();
    Clock::duration last_poll_took_{};
    bool catch_up_ = false;
    bool failing_ = false;
};

Hub::Hub(const handlers::Worker& worker, Log log_error)
    : worker_(worker),
      database_(store::connection_string(worker.config.database), 1),
      log_error_(std::move(log_error)),
      wake_fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
    thread_ = std::thread([this] {
        Loop loop(*this);
        loop.run();
    });
}

Hub::~Hub() {
    stop();
    ::close(wake_fd_);
}

bool Hub::has_room() const { return held_.load() < worker_.config.live.max_subscribers; }

void Hub::adopt(fcgi::Connection connection, http::Response response) {
    if (stopping_.load()) {
        ::close(connection.fd);
        return;
    }
    held_.fetch_add(1);
    metrics::add_subscribers(1);
    {
        const std::lock_guard<std::mutex> lock(inbox_mutex_);
        inbox_.push_back({connection, std::move(response)});
    }
    wake();
}

void Hub::wake() const {
    const std::uint64_t one = 1;
    if (write(wake_fd_, &one, sizeof(one)) < 0) {
        // EAGAIN: the counter is full of wake-ups not yet read; the loop wakes either way.
    }
}

void Hub::stop() {
    if (!thread_.joinable()) {
        return;
    }
    stopping_.store(true);
    wake();
    thread_.join();
    const std::lock_guard<std::mutex> lock(inbox_mutex_);
    for (const Adopted& left : inbox_) {
        ::close(left.connection.fd);
    }
    inbox_.clear();
}

}  // namespace webpods::live
