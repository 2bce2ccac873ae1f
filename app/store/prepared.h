// The statements every request runs, prepared once per connection and executed with libpq on
// the connection SOCI holds: no parse or plan per request, results in binary (a bytea column
// arrives as its bytes, not as hex), and rows that can be streamed one at a time.
#pragma once

#include <libpq-fe.h>

#include <cstddef>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace soci {
class session;
}

namespace webpods::store {

class Tx;

// The libpq connection under a SOCI session; nullptr when it is not open.
PGconn* native_connection(soci::session& sql);

// A named statement of the store. `name` is unique among them; `text` uses $1, $2, ...
struct Prepared {
    const char* name;
    const char* text;
};

// Which statements a connection has prepared. A new connection (a reconnect, another backend
// process) starts empty.
class PreparedNames {
public:
    // Whether `statement` is prepared on `connection`, forgetting everything when the
    // connection is not the one last seen.
    bool has(PGconn* connection, const char* name);
    void add(const char* name) { names_.insert(name); }

private:
    PGconn* connection_ = nullptr;
    int backend_pid_ = 0;
    std::unordered_set<std::string> names_;
};

// One parameter, sent as text (what PostgreSQL casts to the parameter's type), or NULL.
class Param {
public:
    Param(const std::string& text) : text_(text) {}  // NOLINT(google-explicit-constructor)
    Param(std::string_view text) : text_(text) {}    // NOLINT(google-explicit-constructor)
    Param(const char* text) : text_(text) {}         // NOLINT(google-explicit-constructor)
    Param(long long number) : owned_(std::to_string(number)), text_(owned_) {}  // NOLINT
    Param(int number) : owned_(std::to_string(number)), text_(owned_) {}        // NOLINT
    Param(const std::optional<std::string>& text)  // NOLINT(google-explicit-constructor)
        : null_(!text), text_(text ? std::string_view(*text) : std::string_view{}) {}
    // bytea, sent in binary.
    struct Bytes {
        std::string_view bytes;
    };
    Param(Bytes bytes)  // NOLINT(google-explicit-constructor)
        : binary_(true), text_(bytes.bytes) {}

    // Never copied or moved: text_ may point into owned_. initializer_list elements are
    // initialised in place.
    Param(const Param&) = delete;
    Param& operator=(const Param&) = delete;

    bool is_null() const { return null_; }
    bool is_binary() const { return binary_; }
    std::string_view value() const { return text_; }

private:
    std::string owned_;
    bool null_ = false;
    bool binary_ = false;
    std::string_view text_;
};

// libpq's parallel arrays for a parameter list; the Params must outlive it.
struct Wire {
    Wire(std::initializer_list<Param> params);
    int size() const { return static_cast<int>(values.size()); }

    std::vector<const char*> values;
    std::vector<int> lengths;
    std::vector<int> formats;
};

// libpq's format code of a binary parameter or result.
constexpr int kBinaryFormat = 1;

// The rows of one result, in binary: integers (int2/int4/int8), text and bytea columns.
class Rows {
public:
    explicit Rows(PGresult* result) : result_(result, &PQclear) {}

    int count() const { return PQntuples(result_.get()); }
    // The column's number; throws an internal error when the statement has no such column.
    int column(const char* name) const;
    bool is_null(int row, int column) const;
    std::string_view bytes(int row, int column) const;
    std::string text(int row, int column) const { return std::string(bytes(row, column)); }
    long long integer(int row, int column) const;

private:
    std::unique_ptr<PGresult, decltype(&PQclear)> result_;
};

// Runs `statement` on the Tx's connection (inside its Atomic when one is open). Failures throw
// soci::postgresql_soci_error with the SQLSTATE, so store::Database maps them as for SOCI.
Rows execute(Tx& tx, const Prepared& statement, std::initializer_list<Param> params);

// Runs `statement` and hands its rows to visit one at a time as libpq receives them (single-row
// mode), until visit returns false; the rest of the answer is then read and dropped.
void execute_each(Tx& tx,
                  const Prepared& statement,
                  std::initializer_list<Param> params,
                  const std::function<bool(const Rows&)>& visit);

}  // namespace webpods::store
