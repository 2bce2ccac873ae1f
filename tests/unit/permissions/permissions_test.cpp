// Permission rules of SPEC §2: public, private and allow-list streams.
#include "permissions/permissions.h"

#include <boost/test/unit_test.hpp>

namespace permissions = webpods::permissions;
using permissions::Action;

namespace {

const permissions::Subject kCreator{"11111111-1111-1111-1111-111111111111", "auth:test:creator"};
const permissions::Subject kOther{"22222222-2222-2222-2222-222222222222", "auth:test:other"};
const permissions::Subject kAnonymous{};

permissions::StreamAccess stream(std::string_view mode) { return {mode, kCreator.user_id}; }

}  // namespace

BOOST_AUTO_TEST_SUITE(permission_rules)

BOOST_AUTO_TEST_CASE(public_streams_are_read_by_anyone_and_written_by_users) {
    BOOST_TEST(permissions::can(kAnonymous, Action::kRead, stream("public"), nullptr));
    BOOST_TEST(!permissions::can(kAnonymous, Action::kWrite, stream("public"), nullptr));
    BOOST_TEST(permissions::can(kOther, Action::kWrite, stream("public"), nullptr));
}

BOOST_AUTO_TEST_CASE(private_streams_belong_to_the_creator_only) {
    BOOST_TEST(permissions::can(kCreator, Action::kRead, stream("private"), nullptr));
    BOOST_TEST(permissions::can(kCreator, Action::kWrite, stream("private"), nullptr));
    BOOST_TEST(!permissions::can(kOther, Action::kRead, stream("private"), nullptr));
    BOOST_TEST(!permissions::can(kAnonymous, Action::kRead, stream("private"), nullptr));
}

constexpr const char* kListCreator = "auth:test:list-creator";
constexpr const char* kPodOwner = "auth:test:pod-owner";

BOOST_AUTO_TEST_CASE(allow_list_latest_record_per_user_wins) {
    permissions::AllowList list(kListCreator, kPodOwner);
    list.apply(R"({"id":"auth:test:other","read":true,"write":true})", kListCreator);
    BOOST_TEST(permissions::can(kOther, Action::kWrite, stream("/members"), &list));
    list.apply(R"({"id":"auth:test:other","read":true,"write":false})", kListCreator);
    BOOST_TEST(permissions::can(kOther, Action::kRead, stream("/members"), &list));
    BOOST_TEST(!permissions::can(kOther, Action::kWrite, stream("/members"), &list));
    list.apply(R"({"id":"auth:test:other","read":false})", kListCreator);
    BOOST_TEST(!permissions::can(kOther, Action::kRead, stream("/members"), &list));
}

BOOST_AUTO_TEST_CASE(grants_count_only_from_the_list_creator_or_the_pod_owner) {
    permissions::AllowList list(kListCreator, kPodOwner);
    list.apply(R"({"id":"auth:test:other","read":true,"write":true})", "auth:test:other");
    BOOST_TEST(!permissions::can(kOther, Action::kRead, stream("/members"), &list));
    list.apply(R"({"id":"auth:test:other","read":true})", kPodOwner);
    BOOST_TEST(permissions::can(kOther, Action::kRead, stream("/members"), &list));
    list.apply(R"({"id":"auth:test:other","read":false})", "auth:test:stranger");
    BOOST_TEST(permissions::can(kOther, Action::kRead, stream("/members"), &list));
    list.apply(R"({"id":"auth:test:other","read":false})", kListCreator);
    BOOST_TEST(!permissions::can(kOther, Action::kRead, stream("/members"), &list));
}

BOOST_AUTO_TEST_CASE(missing_list_or_record_denies_but_creator_passes) {
    permissions::AllowList list(kListCreator, kPodOwner);
    list.apply("not json", kListCreator);
    list.apply(R"(["id","auth:test:other"])", kListCreator);
    BOOST_TEST(!permissions::can(kOther, Action::kRead, stream("/members"), &list));
    BOOST_TEST(!permissions::can(kOther, Action::kRead, stream("/members"), nullptr));
    BOOST_TEST(!permissions::can(kAnonymous, Action::kRead, stream("/members"), &list));
    BOOST_TEST(permissions::can(kCreator, Action::kWrite, stream("/members"), nullptr));
}

BOOST_AUTO_TEST_CASE(owner_and_creator_delete_streams) {
    const std::string owner = std::string(kOther.user_id);
    BOOST_TEST(permissions::can_delete_stream(kCreator, kCreator.user_id, owner));
    BOOST_TEST(permissions::can_delete_stream(kOther, kCreator.user_id, owner));
    BOOST_TEST(!permissions::can_delete_stream(kAnonymous, kCreator.user_id, owner));
    BOOST_TEST(!permissions::is_owner(kAnonymous, ""));
}

BOOST_AUTO_TEST_SUITE_END()
