// Row mapping by column name.
#include "store/rows.h"

#include <soci/soci.h>

namespace webpods::store {

namespace {

std::string named(std::string_view prefix, std::string_view column) {
    return std::string(prefix) + std::string(column);
}

bool is_null(const soci::row& row, const std::string& column) {
    return row.get_indicator(column) != soci::i_ok;
}

// Row `row` of a binary result, its columns named prefix + column.
class Columns {
public:
    Columns(const Rows& rows, int row, std::string_view prefix)
        : rows_(rows), row_(row), prefix_(prefix) {}

    bool is_null(std::string_view column) const { return rows_.is_null(row_, number(column)); }
    long long integer(std::string_view column) const { return rows_.integer(row_, number(column)); }
    std::string text(std::string_view column) const { return rows_.text(row_, number(column)); }
    std::string_view bytes(std::string_view column) const {
        return rows_.bytes(row_, number(column));
    }

private:
    int number(std::string_view column) const {
        return rows_.column(named(prefix_, column).c_str());
    }

    const Rows& rows_;
    int row_;
    std::string_view prefix_;
};

}  // namespace

RecordView record_view_from(const Rows& rows, int row, std::string_view prefix) {
    const Columns columns(rows, row, prefix);
    RecordView record;
    record.index = columns.integer("index");
    record.content = columns.bytes("content");
    record.content_type = columns.bytes("content_type");
    if (!columns.is_null("alias")) {
        record.alias = columns.bytes("alias");
    }
    record.author = columns.bytes("author");
    record.hash = columns.bytes("hash");
    record.previous_hash = columns.bytes("previous_hash");
    record.timestamp = columns.bytes("timestamp");
    return record;
}

Record record_from(const Rows& rows, int row, std::string_view prefix) {
    return to_record(record_view_from(rows, row, prefix));
}

std::optional<StreamHead> head_from(const Rows& rows, int row, std::string_view prefix) {
    const Columns columns(rows, row, prefix);
    if (columns.is_null("id")) {
        return std::nullopt;
    }
    return StreamHead{columns.integer("id"),
                      columns.integer("record_count"),
                      columns.is_null("last_hash") ? std::string{} : columns.text("last_hash")};
}

std::optional<Stream> stream_from(const Rows& rows, int row, std::string_view prefix) {
    auto head = head_from(rows, row, prefix);
    if (!head) {
        return std::nullopt;
    }
    const Columns columns(rows, row, prefix);
    Stream stream;
    stream.head = std::move(*head);
    stream.name = columns.text("name");
    stream.access_permission = columns.text("access_permission");
    stream.creator_id = columns.text("creator_id");
    stream.created_at = columns.text("created_at");
    return stream;
}

std::optional<StreamHead> head_from(const soci::row& row, std::string_view prefix) {
    const std::string id = named(prefix, "id");
    if (is_null(row, id)) {
        return std::nullopt;
    }
    return StreamHead{row.get<long long>(id),
                      row.get<long long>(named(prefix, "record_count")),
                      row.get<std::string>(named(prefix, "last_hash"))};
}

std::optional<Stream> stream_from(const soci::row& row, std::string_view prefix) {
    auto head = head_from(row, prefix);
    if (!head) {
        return std::nullopt;
    }
    Stream stream;
    stream.head = std::move(*head);
    stream.name = row.get<std::string>(named(prefix, "name"));
    stream.access_permission = row.get<std::string>(named(prefix, "access_permission"));
    stream.creator_id = row.get<std::string>(named(prefix, "creator_id"));
    stream.created_at = row.get<std::string>(named(prefix, "created_at"));
    return stream;
}

User user_from(const soci::row& row) {
    return User{row.get<std::string>("id"),
                row.get<std::string>("auth_id"),
                row.get<std::string>("email"),
                row.get<std::string>("name"),
                row.get<std::string>("provider")};
}

}  // namespace webpods::store
