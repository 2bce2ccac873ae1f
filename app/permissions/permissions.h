// Who may do what to a stream: pure decisions over facts the caller has already loaded. No I/O.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace webpods::permissions {

enum class Action { kRead, kWrite };

// The caller; both ids empty for an anonymous caller.
struct Subject {
    std::string_view user_id;  // uuid
    std::string_view auth_id;  // auth:{provider}:{id}
    bool is_anonymous() const { return user_id.empty(); }
};

struct Grant {
    bool read = false;
    bool write = false;
};

// Latest grant per auth_id, folded from an allow-list stream's records in index order. Only
// records written by the list's creator or the pod's current owner are grants (SPEC §2, §9):
// anyone may append to a public list stream, and nobody may grant himself access by that.
class AllowList {
public:
    AllowList(std::string list_creator_auth_id, std::string owner_auth_id)
        : list_creator_auth_id_(std::move(list_creator_auth_id)),
          owner_auth_id_(std::move(owner_auth_id)) {}

    // Folds one record of the list, written by `author`; records by anyone else, and records
    // that are not a JSON object with a string "id", are ignored.
    void apply(std::string_view record_json, std::string_view author);
    const Grant* find(std::string_view auth_id) const;

    // The owner this list was folded for: after a transfer it must be folded again.
    const std::string& owner_auth_id() const { return owner_auth_id_; }

private:
    std::string list_creator_auth_id_;
    std::string owner_auth_id_;
    std::unordered_map<std::string, Grant> grants_;
};

// What the stream says about access: its mode and creator.
struct StreamAccess {
    std::string_view access_permission;  // public | private | /{stream}
    std::string_view creator_id;         // uuid
};

// Whether subject may read or write the stream. For "/{list}" streams, allow_list is the
// folded list, or nullptr when the list stream does not exist (then only the creator passes).
bool can(const Subject& subject,
         Action action,
         const StreamAccess& stream,
         const AllowList* allow_list);

// Pod-level decisions: only the owner creates streams in an existing pod, changes .meta
// streams or deletes the pod; a stream's creator or the owner deletes a stream.
bool is_owner(const Subject& subject, std::string_view pod_owner_id);
bool can_delete_stream(const Subject& subject,
                       std::string_view creator_id,
                       std::string_view pod_owner_id);

}  // namespace webpods::permissions
