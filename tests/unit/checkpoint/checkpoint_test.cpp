// Signed checkpoints (SPEC §12): Ed25519 known answers, the signed-note rules recomputed here
// with OpenSSL alone, and notes with one changed byte that no longer open.
#include "checkpoint/checkpoint.h"

#include <openssl/evp.h>

#include <boost/test/unit_test.hpp>
#include <memory>
#include <string>

#include "encoding/encoding.h"

namespace checkpoint = webpods::checkpoint;
namespace encoding = webpods::encoding;
namespace merkle = webpods::merkle;

namespace {

// RFC 8032 §7.1, test 1: the secret key as PKCS#8 PEM, its public key and the signature of the
// empty message.
constexpr std::string_view kRfc8032Pem =
    "-----BEGIN PRIVATE KEY-----\n"
    "MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n"
    "-----END PRIVATE KEY-----\n";
constexpr std::string_view kRfc8032PublicKey =
    "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
constexpr std::string_view kRfc8032EmptySignature =
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9"
    "b46bd25bf5f0595bbe24655141438e7a100b";
constexpr std::string_view kName = "webpods.localhost";

// Computed with Python's `cryptography` from the same key: the checkpoint of the 8-leaf RFC 6962
// reference tree for origin alice.webpods.localhost/blog.
constexpr std::string_view kReferenceRoot = "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=";
constexpr std::string_view kReferenceVerifierKey =
    "webpods.localhost+b1103c88+AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea";
constexpr std::string_view kReferenceSignature =
    "sRA8iMKhzVJRkUwMQihvJRB8xbWx14fHNnnskj+38NwSq7UvnTpXslyiwTIREAPlQbSMgdHhm1aNUhgCEHvdkh2DtAI=";

std::string bytes_of_hex(std::string_view hex) { return encoding::hex_decode(hex).value(); }

checkpoint::Signer reference_signer() { return {kRfc8032Pem, std::string(kName)}; }

checkpoint::Checkpoint reference_checkpoint() {
    checkpoint::Checkpoint body;
    body.origin = "alice.webpods.localhost/blog";
    body.size = 8;
    body.root = merkle::from_bytes(encoding::base64_decode(kReferenceRoot).value()).value();
    return body;
}

std::string openssl_sha256(std::string_view bytes) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    BOOST_REQUIRE(EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr) ==
                  1);
    return {reinterpret_cast<const char*>(digest), length};
}

std::string openssl_base64_decode(std::string_view text) {
    std::string out(text.size(), '\0');
    const int length = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                       reinterpret_cast<const unsigned char*>(text.data()),
                                       static_cast<int>(text.size()));
    BOOST_REQUIRE(length >= 0);
    const std::size_t padding = text.size() - text.find_last_not_of('=') - 1;
    out.resize(static_cast<std::size_t>(length) - padding);
    return out;
}

bool openssl_verify(std::string_view public_key, std::string_view message, std::string_view sig) {
    std::unique_ptr<EVP_PKEY, void (*)(EVP_PKEY*)> key(
        EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519,
                                    nullptr,
                                    reinterpret_cast<const unsigned char*>(public_key.data()),
                                    public_key.size()),
        EVP_PKEY_free);
    std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> context(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    return EVP_DigestVerifyInit(context.get(), nullptr, nullptr, nullptr, key.get()) == 1 &&
           EVP_DigestVerify(context.get(),
                            reinterpret_cast<const unsigned char*>(sig.data()),
                            sig.size(),
                            reinterpret_cast<const unsigned char*>(message.data()),
                            message.size()) == 1;
}

bool opens(std::string_view note, std::string_view verifier_key) {
    try {
        checkpoint::open_checkpoint(note, checkpoint::Verifier::parse(verifier_key));
        return true;
    } catch (const checkpoint::NoteError&) {
        return false;
    }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(signed_checkpoints)

BOOST_AUTO_TEST_CASE(ed25519_signs_the_rfc8032_known_answer) {
    const auto signer = reference_signer();
    BOOST_TEST(encoding::hex_encode(signer.public_key()) == kRfc8032PublicKey);
    BOOST_TEST(encoding::hex_encode(signer.sign("")) == kRfc8032EmptySignature);
}

BOOST_AUTO_TEST_CASE(key_id_and_verifier_key_follow_the_signed_note_rules) {
    const auto signer = reference_signer();
    const std::string public_key = bytes_of_hex(kRfc8032PublicKey);
    // key ID = SHA-256(name || "\n" || 0x01 || public key)[0:4]
    const std::string expected_id =
        openssl_sha256(std::string(kName) + "\n\x01" + public_key).substr(0, 4);
    BOOST_TEST(checkpoint::key_id(kName, public_key) == expected_id);
    BOOST_TEST(signer.verifier_key() == kReferenceVerifierKey);
    BOOST_TEST(signer.verifier_key() == std::string(kName) + "+" +
                                            encoding::hex_encode(expected_id) + "+" +
                                            encoding::base64_encode("\x01" + public_key));
    const auto verifier = checkpoint::Verifier::parse(kReferenceVerifierKey);
    BOOST_TEST(verifier.name == kName);
    BOOST_TEST(verifier.key_id == expected_id);
    BOOST_TEST(verifier.public_key == public_key);
}

BOOST_AUTO_TEST_CASE(checkpoint_note_is_the_known_answer) {
    const auto signer = reference_signer();
    const std::string text = checkpoint::checkpoint_text(reference_checkpoint());
    BOOST_TEST(text == "alice.webpods.localhost/blog\n8\n" + std::string(kReferenceRoot) + "\n");
    BOOST_TEST(signer.sign_note(text) == text + "\n\xE2\x80\x94 webpods.localhost " +
                                             std::string(kReferenceSignature) + "\n");
}

BOOST_AUTO_TEST_CASE(a_signed_checkpoint_verifies_by_rules_computed_here) {
    // A fresh key: nothing about it is pinned, so only the rules can make this pass.
    const checkpoint::Signer signer(checkpoint::generate_private_key_pem(), "log.example");
    const std::string text = checkpoint::checkpoint_text(reference_checkpoint());
    const std::string note = signer.sign_note(text);

    BOOST_REQUIRE(note.size() > text.size() + 1);
    BOOST_TEST(note.substr(0, text.size()) == text);
    BOOST_TEST(note[text.size()] == '\n');  // the blank line
    const std::string line = note.substr(text.size() + 1);
    const std::string prefix = "\xE2\x80\x94 log.example ";  // em dash, space, name, space
    BOOST_REQUIRE(line.substr(0, prefix.size()) == prefix);
    BOOST_REQUIRE(line.back() == '\n');
    const std::string blob =
        openssl_base64_decode(line.substr(prefix.size(), line.size() - prefix.size() - 1));
    BOOST_REQUIRE(blob.size() == 4U + 64U);
    BOOST_TEST(blob.substr(0, 4) ==
               openssl_sha256("log.example\n\x01" + signer.public_key()).substr(0, 4));
    BOOST_TEST(openssl_verify(signer.public_key(), text, blob.substr(4)));
    BOOST_TEST(!openssl_verify(signer.public_key(), text + "x", blob.substr(4)));

    const auto opened =
        checkpoint::open_checkpoint(note, checkpoint::Verifier::parse(signer.verifier_key()));
    BOOST_TEST(opened.origin == "alice.webpods.localhost/blog");
    BOOST_TEST(opened.size == 8U);
    BOOST_TEST((opened.root == reference_checkpoint().root));
}

BOOST_AUTO_TEST_CASE(a_checkpoint_with_one_changed_byte_does_not_open) {
    const auto signer = reference_signer();
    const std::string note = signer.sign_note(checkpoint::checkpoint_text(reference_checkpoint()));
    BOOST_REQUIRE(opens(note, kReferenceVerifierKey));
    for (std::size_t at = 0; at < note.size(); ++at) {
        for (const unsigned flip : {0x01U, 0x20U}) {
            std::string changed = note;
            changed[at] = static_cast<char>(static_cast<unsigned char>(changed[at]) ^ flip);
            BOOST_TEST(!opens(changed, kReferenceVerifierKey), "byte " << at << " ^ " << flip);
        }
    }
}

BOOST_AUTO_TEST_CASE(a_checkpoint_signed_by_another_key_does_not_open) {
    const checkpoint::Signer other(checkpoint::generate_private_key_pem(), std::string(kName));
    const std::string note = other.sign_note(checkpoint::checkpoint_text(reference_checkpoint()));
    BOOST_TEST(!opens(note, kReferenceVerifierKey));
    BOOST_TEST(opens(note, other.verifier_key()));
    // Another key's signature beside ours is ignored, not an error (a witness may cosign).
    const std::string ours =
        reference_signer().sign_note(checkpoint::checkpoint_text(reference_checkpoint()));
    BOOST_TEST(opens(ours + note.substr(note.rfind("\n\n") + 2), kReferenceVerifierKey));
}

BOOST_AUTO_TEST_CASE(malformed_notes_keys_and_bodies_are_refused) {
    const auto signer = reference_signer();
    for (const std::string_view text :
         {"origin\n8\n",
          "\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n",
          "origin\n08\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n",
          "origin\n-8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n",
          "origin\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQ==\n"}) {
        BOOST_TEST(!opens(signer.sign_note(text), kReferenceVerifierKey), text);
    }
    BOOST_TEST(!opens("", kReferenceVerifierKey));
    BOOST_TEST(!opens("no signature\n", kReferenceVerifierKey));
    BOOST_CHECK_THROW(signer.sign_note("no newline"), checkpoint::NoteError);
    BOOST_CHECK_THROW(checkpoint::Verifier::parse("webpods.localhost+b1103c89+AddamAGCsQq31Uv+08lkB"
                                                  "zoO4XLz2qYjJa8CGmj3B1Ea"),
                      checkpoint::NoteError);  // key ID does not match
    BOOST_CHECK_THROW(checkpoint::Verifier::parse("webpods.localhost"), checkpoint::NoteError);
    BOOST_CHECK_THROW(checkpoint::Signer("not a key", "name"), checkpoint::NoteError);
    BOOST_CHECK_THROW(checkpoint::Signer(kRfc8032Pem, "two words"), checkpoint::NoteError);
    BOOST_CHECK_THROW(checkpoint::Signer(kRfc8032Pem, "a+b"), checkpoint::NoteError);
}

BOOST_AUTO_TEST_SUITE_END()
