// webpodsctl pods | streams POD | users | revoke-sessions AUTH_ID | stats.
#include "ctl/admin_commands.h"

#include <algorithm>
#include <cstdint>
#include <iostream>
#include <string>
#include <vector>

#include "json/writer.h"
#include "store/admin.h"
#include "store/sessions.h"
#include "store/users.h"

namespace webpods::ctl {

namespace {

using Row = std::vector<std::string>;

// What a terminal is shown of a stored value: user names and e-mail addresses come from OAuth
// providers, so control bytes (an escape sequence that rewrites the screen) become '?'.
std::string printable(const std::string& text) {
    std::string shown = text;
    std::replace_if(
        shown.begin(),
        shown.end(),
        [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == '\x7f'; },
        '?');
    return shown;
}

// Columns as wide as their widest cell, counted in UTF-8 code points.
std::size_t display_width(const std::string& text) {
    return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
        return (static_cast<unsigned char>(c) & 0xC0U) != 0x80U;
    }));
}

void print_table(const Row& header, const std::vector<Row>& rows) {
    std::vector<std::size_t> widths(header.size(), 0);
    const auto measure = [&widths](const Row& row) {
        for (std::size_t column = 0; column < row.size(); ++column) {
            widths[column] = std::max(widths[column], display_width(row[column]));
        }
    };
    measure(header);
    std::for_each(rows.begin(), rows.end(), measure);
    const auto print = [&widths](const Row& row) {
        std::string line;
        for (std::size_t column = 0; column < row.size(); ++column) {
            line += row[column];
            if (column + 1 < row.size()) {
                line += std::string(widths[column] - display_width(row[column]) + 2, ' ');
            }
        }
        std::cout << line << "\n";
    };
    print(header);
    std::for_each(rows.begin(), rows.end(), print);
}

void print_json(json::Writer& writer) { std::cout << writer.text() << "\n"; }

int pods(store::Tx* tx, const config::Config& /*config*/, const Arguments& arguments) {
    const auto summaries = store::list_pod_summaries(*tx);
    if (arguments.json) {
        json::Writer writer;
        writer.begin_object().key("pods").begin_array();
        for (const auto& pod : summaries) {
            writer.begin_object()
                .key("name")
                .string(pod.name)
                .key("owner")
                .string(pod.owner_auth_id)
                .key("streams")
                .integer(pod.streams)
                .key("records")
                .integer(pod.records)
                .key("created_at")
                .string(pod.created_at)
                .end_object();
        }
        writer.end_array().key("count").integer(static_cast<std::int64_t>(summaries.size()));
        print_json(writer.end_object());
        return 0;
    }
    std::vector<Row> rows;
    rows.reserve(summaries.size());
    for (const auto& pod : summaries) {
        rows.push_back({pod.name,
                        printable(pod.owner_auth_id),
                        std::to_string(pod.streams),
                        std::to_string(pod.records),
                        pod.created_at});
    }
    print_table({"POD", "OWNER", "STREAMS", "RECORDS", "CREATED"}, rows);
    return 0;
}

int streams(store::Tx* tx, const config::Config& /*config*/, const Arguments& arguments) {
    const std::string& pod = arguments.operands[1];
    const auto summaries = store::list_stream_summaries(*tx, pod);
    if (!summaries) {
        std::cerr << "webpodsctl: no such pod: " << printable(pod) << "\n";
        return 2;
    }
    if (arguments.json) {
        json::Writer writer;
        writer.begin_object().key("pod").string(pod).key("streams").begin_array();
        for (const auto& stream : *summaries) {
            writer.begin_object()
                .key("name")
                .string(stream.name)
                .key("access")
                .string(stream.access_permission)
                .key("creator")
                .string(stream.creator_auth_id)
                .key("records")
                .integer(stream.records)
                .key("last_hash");
            if (stream.last_hash.empty()) {
                writer.null();
            } else {
                writer.string(stream.last_hash);
            }
            writer.key("created_at").string(stream.created_at).end_object();
        }
        writer.end_array().key("count").integer(static_cast<std::int64_t>(summaries->size()));
        print_json(writer.end_object());
        return 0;
    }
    std::vector<Row> rows;
    for (const auto& stream : *summaries) {
        rows.push_back({printable(stream.name),
                        printable(stream.access_permission),
                        printable(stream.creator_auth_id),
                        std::to_string(stream.records),
                        stream.last_hash.empty() ? "-" : stream.last_hash,
                        stream.created_at});
    }
    print_table({"STREAM", "ACCESS", "CREATOR", "RECORDS", "HEAD", "CREATED"}, rows);
    return 0;
}

int users(store::Tx* tx, const config::Config& /*config*/, const Arguments& arguments) {
    const auto summaries = store::list_user_summaries(*tx);
    if (arguments.json) {
        json::Writer writer;
        writer.begin_object().key("users").begin_array();
        for (const auto& summary : summaries) {
            writer.begin_object()
                .key("id")
                .string(summary.user.id)
                .key("auth_id")
                .string(summary.user.auth_id)
                .key("provider")
                .string(summary.user.provider)
                .key("email")
                .string(summary.user.email)
                .key("name")
                .string(summary.user.name)
                .key("pods")
                .integer(summary.pods)
                .key("sessions")
                .integer(summary.live_sessions)
                .key("created_at")
                .string(summary.created_at)
                .end_object();
        }
        writer.end_array().key("count").integer(static_cast<std::int64_t>(summaries.size()));
        print_json(writer.end_object());
        return 0;
    }
    std::vector<Row> rows;
    rows.reserve(summaries.size());
    for (const auto& summary : summaries) {
        rows.push_back({summary.user.id,
                        printable(summary.user.auth_id),
                        printable(summary.user.email),
                        printable(summary.user.name),
                        std::to_string(summary.pods),
                        std::to_string(summary.live_sessions),
                        summary.created_at});
    }
    print_table({"ID", "AUTH_ID", "EMAIL", "NAME", "PODS", "SESSIONS", "CREATED"}, rows);
    return 0;
}

int revoke_sessions(store::Tx* tx, const config::Config& /*config*/, const Arguments& arguments) {
    const std::string& auth_id = arguments.operands[1];
    const auto user = store::find_user_by_auth_id(*tx, auth_id);
    if (!user) {
        std::cerr << "webpodsctl: no such user: " << printable(auth_id) << "\n";
        return 2;
    }
    const long long revoked = store::delete_user_sessions(*tx, user->id);
    if (arguments.json) {
        json::Writer writer;
        writer.begin_object().key("auth_id").string(auth_id).key("revoked").integer(revoked);
        print_json(writer.end_object());
    } else {
        std::cout << "revoked " << revoked << (revoked == 1 ? " session" : " sessions") << " of "
                  << printable(auth_id) << "\n";
    }
    return 0;
}

int stats(store::Tx* tx, const config::Config& /*config*/, const Arguments& arguments) {
    const store::Totals totals = store::count_totals(*tx);
    const std::vector<std::pair<std::string, long long>> lines = {
        {"users", totals.users},
        {"pods", totals.pods},
        {"streams", totals.streams},
        {"records", totals.records},
        {"sessions", totals.live_sessions},
        {"database_bytes", totals.database_bytes},
    };
    if (arguments.json) {
        json::Writer writer;
        writer.begin_object();
        for (const auto& [name, value] : lines) {
            writer.key(name).integer(value);
        }
        print_json(writer.end_object());
        return 0;
    }
    std::vector<Row> rows;
    rows.reserve(lines.size());
    for (const auto& [name, value] : lines) {
        rows.push_back({name, std::to_string(value)});
    }
    print_table({"WHAT", "COUNT"}, rows);
    return 0;
}

}  // namespace

std::vector<Command> admin_commands() {
    return {
        {"pods",
         "[--json]",
         "list pods with owner, stream and record counts",
         "Streams include the pod's system streams (.meta/...).",
         0,
         {},
         true,
         pods},
        {"streams",
         "POD [--json]",
         "list a pod's streams with access, creator, records and head hash",
         "Exit 2 when there is no pod named POD.",
         1,
         {},
         true,
         streams},
        {"users",
         "[--json]",
         "list users with their pods and live sessions",
         "",
         0,
         {},
         true,
         users},
        {"revoke-sessions",
         "AUTH_ID [--json]",
         "end every browser session of a user (tokens stay valid until they expire)",
         "AUTH_ID is auth:{provider}:{id}, as `users` lists it; prints how many live sessions\n"
         "ended. Exit 2 when there is no such user.",
         1,
         {},
         true,
         revoke_sessions},
        {"stats",
         "[--json]",
         "count users, pods, streams, records, live sessions; the database size",
         "database_bytes is pg_database_size of the configured database.",
         0,
         {},
         true,
         stats},
    };
}

}  // namespace webpods::ctl
