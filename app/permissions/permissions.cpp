// Permission rules of SPEC §2 "Permissions".
#include "permissions/permissions.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

namespace webpods::permissions {

void AllowList::apply(std::string_view record_json, std::string_view author) {
    if (author != list_creator_auth_id_ && author != owner_auth_id_) {
        return;
    }
    try {
        Poco::JSON::Parser parser;
        const Poco::Dynamic::Var parsed = parser.parse(std::string(record_json));
        const auto& object = parsed.extract<Poco::JSON::Object::Ptr>();
        if (object.isNull() || !object->has("id") || !object->get("id").isString()) {
            return;
        }
        const auto flag = [&object](const char* name) {
            return object->has(name) && object->get(name).isBoolean() &&
                   object->getValue<bool>(name);
        };
        grants_[object->getValue<std::string>("id")] = Grant{flag("read"), flag("write")};
    } catch (const Poco::Exception&) {
        // Not an object: not a grant.
    }
}

const Grant* AllowList::find(std::string_view auth_id) const {
    const auto found = grants_.find(std::string(auth_id));
    return found == grants_.end() ? nullptr : &found->second;
}

bool can(const Subject& subject,
         Action action,
         const StreamAccess& stream,
         const AllowList* allow_list) {
    const bool is_creator = !subject.is_anonymous() && subject.user_id == stream.creator_id;
    if (is_creator) {
        return true;
    }
    if (stream.access_permission == "public") {
        return action == Action::kRead || !subject.is_anonymous();
    }
    if (stream.access_permission.empty() || stream.access_permission.front() != '/') {
        return false;  // private, or a mode we do not know: nobody but the creator
    }
    if (subject.is_anonymous() || allow_list == nullptr) {
        return false;
    }
    const Grant* grant = allow_list->find(subject.auth_id);
    if (grant == nullptr) {
        return false;
    }
    return action == Action::kRead ? grant->read : grant->write;
}

bool is_owner(const Subject& subject, std::string_view pod_owner_id) {
    return !subject.is_anonymous() && subject.user_id == pod_owner_id;
}

bool can_delete_stream(const Subject& subject,
                       std::string_view creator_id,
                       std::string_view pod_owner_id) {
    return is_owner(subject, pod_owner_id) ||
           (!subject.is_anonymous() && subject.user_id == creator_id);
}

}  // namespace webpods::permissions
