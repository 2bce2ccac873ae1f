// The live hub of one worker process (SPEC §11): one thread whose epoll loop holds every event
// stream and long poll the accept threads handed over, so thousands of live readers take no
// accept thread. It learns of new records, deletions and changes of permission by reading the
// heads of the streams it watches from PostgreSQL every live.pollMilliseconds, and only while it
// holds readers, so an append costs nothing more and a record appended on any host reaches the
// readers on every host. See doc/live.md.
#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <string_view>
#include <thread>
#include <vector>

#include "fcgi/records.h"
#include "handlers/context.h"
#include "http/response.h"
#include "store/database.h"

namespace webpods::live {

class Hub {
public:
    using Log = std::function<void(std::string_view)>;

    // Starts the hub's thread; its database session (one, of its own) opens on first use.
    // log_error gets database failures (once per outage) and lost connections' causes.
    Hub(const handlers::Worker& worker, Log log_error);
    ~Hub();  // stop()
    Hub(const Hub&) = delete;
    Hub& operator=(const Hub&) = delete;

    // Whether one more reader fits (live.maxSubscribers per process).
    bool has_room() const;

    // Takes over `connection` and `response` (whose subscription is set): an event stream's
    // head and backlog go out at once and its records follow; a long poll's head waits for its
    // answer. The hub closes the connection when the read ends.
    void adopt(fcgi::Connection connection, http::Response response);

    // Ends every live read (event streams end, long polls answer with what there is), gives
    // them up to a second to go out, and joins the thread. Adopting after stop() closes the
    // connection at once.
    void stop();

private:
    struct Adopted {
        fcgi::Connection connection;
        http::Response response;
    };
    class Loop;
    void wake() const;

    const handlers::Worker& worker_;
    store::Database database_;
    Log log_error_;
    int wake_fd_;
    std::atomic<int> held_{0};
    std::atomic<bool> stopping_{false};
    std::mutex inbox_mutex_;
    std::vector<Adopted> inbox_;
    std::thread thread_;
};

}  // namespace webpods::live
