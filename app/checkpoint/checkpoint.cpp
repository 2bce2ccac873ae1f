// Signed notes and checkpoints: Ed25519 via EVP_PKEY_ED25519, the byte rules of C2SP signed-note.
#include "checkpoint/checkpoint.h"

#include <openssl/pem.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <iterator>
#include <vector>

#include "encoding/encoding.h"

namespace webpods::checkpoint {

namespace {

// The signature type byte of Ed25519 in signed-note key IDs and verifier keys.
constexpr char kEd25519Type = 0x01;
constexpr std::size_t kPublicKeySize = 32;
constexpr std::size_t kSignatureSize = 64;
constexpr std::size_t kKeyIdSize = 4;
// Every signature line starts with U+2014 EM DASH and a space.
constexpr std::string_view kSignaturePrefix = "\xE2\x80\x94 ";
// A checkpoint is a few lines; anything much larger is not one (and is not parsed).
constexpr std::size_t kMaxNoteSize = std::size_t{64} * 1024;

struct FreeBio {
    void operator()(BIO* bio) const { BIO_free(bio); }
};
struct FreeMdContext {
    void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
};
using MdContext = std::unique_ptr<EVP_MD_CTX, FreeMdContext>;

std::string sha256(std::string_view bytes) {
    std::string digest(EVP_MAX_MD_SIZE, '\0');
    unsigned int length = 0;
    if (EVP_Digest(bytes.data(),
                   bytes.size(),
                   reinterpret_cast<unsigned char*>(digest.data()),
                   &length,
                   EVP_sha256(),
                   nullptr) != 1) {
        throw NoteError("sha256 failed");
    }
    digest.resize(length);
    return digest;
}

std::string raw_public_key(EVP_PKEY* key) {
    std::string public_key(kPublicKeySize, '\0');
    std::size_t length = public_key.size();
    if (EVP_PKEY_get_raw_public_key(
            key, reinterpret_cast<unsigned char*>(public_key.data()), &length) != 1 ||
        length != kPublicKeySize) {
        throw NoteError("cannot read the Ed25519 public key");
    }
    return public_key;
}

bool verify_signature(std::string_view public_key,
                      std::string_view message,
                      std::string_view signature) {
    const std::unique_ptr<EVP_PKEY, void (*)(EVP_PKEY*)> key(
        EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519,
                                    nullptr,
                                    reinterpret_cast<const unsigned char*>(public_key.data()),
                                    public_key.size()),
        EVP_PKEY_free);
    const MdContext context(EVP_MD_CTX_new());
    if (!key || !context) {
        return false;
    }
    // Ed25519 hashes the message itself: no digest is named.
    return EVP_DigestVerifyInit(context.get(), nullptr, nullptr, nullptr, key.get()) == 1 &&
           EVP_DigestVerify(context.get(),
                            reinterpret_cast<const unsigned char*>(signature.data()),
                            signature.size(),
                            reinterpret_cast<const unsigned char*>(message.data()),
                            message.size()) == 1;
}

// A canonical unsigned decimal: digits only, no leading zero (except "0" itself), no overflow.
std::optional<std::uint64_t> parse_size(std::string_view text) {
    if (text.empty() || (text.size() > 1 && text[0] == '0')) {
        return std::nullopt;
    }
    std::uint64_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size()) {
        return std::nullopt;
    }
    return value;
}

std::vector<std::string_view> lines_of(std::string_view text) {
    std::vector<std::string_view> lines;
    while (!text.empty()) {
        const std::size_t newline = text.find('\n');
        lines.push_back(text.substr(0, newline));
        text.remove_prefix(newline + 1);
    }
    return lines;
}

Checkpoint parse_body(std::string_view text) {
    const std::vector<std::string_view> lines = lines_of(text);
    if (lines.size() < 3) {
        throw NoteError("checkpoint: fewer than three lines");
    }
    Checkpoint checkpoint;
    if (lines[0].empty()) {
        throw NoteError("checkpoint: empty origin");
    }
    checkpoint.origin = std::string(lines[0]);
    const auto size = parse_size(lines[1]);
    if (!size) {
        throw NoteError("checkpoint: tree size is not a decimal number");
    }
    checkpoint.size = *size;
    const auto root_bytes = encoding::base64_decode(lines[2]);
    const auto root = root_bytes ? merkle::from_bytes(*root_bytes) : std::nullopt;
    if (!root) {
        throw NoteError("checkpoint: root is not a base64 SHA-256 hash");
    }
    checkpoint.root = *root;
    for (std::size_t k = 3; k < lines.size(); ++k) {
        if (lines[k].empty()) {
            throw NoteError("checkpoint: empty extension line");
        }
    }
    return checkpoint;
}

}  // namespace

bool is_valid_key_name(std::string_view name) {
    return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
        return c > ' ' && c < 0x7F && c != '+';
    });
}

std::string key_id(std::string_view name, std::string_view public_key) {
    std::string input(name);
    input.push_back('\n');
    input.push_back(kEd25519Type);
    input.append(public_key);
    return sha256(input).substr(0, kKeyIdSize);
}

std::string verifier_key(std::string_view name, std::string_view public_key) {
    std::string typed(1, kEd25519Type);
    typed.append(public_key);
    return std::string(name) + "+" + encoding::hex_encode(key_id(name, public_key)) + "+" +
           encoding::base64_encode(typed);
}

std::string generate_private_key_pem() {
    const std::unique_ptr<EVP_PKEY, void (*)(EVP_PKEY*)> key(
        EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"), EVP_PKEY_free);
    const std::unique_ptr<BIO, FreeBio> bio(BIO_new(BIO_s_mem()));
    if (!key || !bio ||
        PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) !=
            1) {
        throw NoteError("cannot generate an Ed25519 key");
    }
    char* data = nullptr;
    const long length = BIO_get_mem_data(bio.get(), &data);
    return {data, static_cast<std::size_t>(length)};
}

Signer::Signer(std::string_view pem, std::string name) : name_(std::move(name)) {
    if (!is_valid_key_name(name_)) {
        throw NoteError("key name must be printable ASCII without spaces or '+'");
    }
    const std::unique_ptr<BIO, FreeBio> bio(
        BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    EVP_PKEY* key = bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr;
    key_.reset(key, FreeKey{});
    if (!key_ || EVP_PKEY_get_id(key) != EVP_PKEY_ED25519) {
        throw NoteError("no Ed25519 private key in PEM");
    }
    public_key_ = raw_public_key(key);
}

Signer Signer::from_file(const std::string& path, std::string name) {
    std::ifstream file(path, std::ios::binary);
    if (!file) {
        throw NoteError("cannot read " + path);
    }
    const std::string pem{std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
    return {pem, std::move(name)};
}

std::string Signer::sign(std::string_view message) const {
    const MdContext context(EVP_MD_CTX_new());
    std::string signature(kSignatureSize, '\0');
    std::size_t length = signature.size();
    if (!context || EVP_DigestSignInit(context.get(), nullptr, nullptr, nullptr, key_.get()) != 1 ||
        EVP_DigestSign(context.get(),
                       reinterpret_cast<unsigned char*>(signature.data()),
                       &length,
                       reinterpret_cast<const unsigned char*>(message.data()),
                       message.size()) != 1 ||
        length != kSignatureSize) {
        throw NoteError("Ed25519 signing failed");
    }
    return signature;
}

std::string Signer::sign_note(std::string_view text) const {
    if (text.empty() || text.back() != '\n') {
        throw NoteError("a note's text ends with a newline");
    }
    const std::string signature = key_id(name_, public_key_) + sign(text);
    std::string note(text);
    note += "\n";
    note += kSignaturePrefix;
    note += name_ + " " + encoding::base64_encode(signature) + "\n";
    return note;
}

Verifier Verifier::parse(std::string_view verifier_key) {
    const std::size_t first_plus = verifier_key.find('+');
    const std::size_t second_plus =
        first_plus == std::string_view::npos ? first_plus : verifier_key.find('+', first_plus + 1);
    if (second_plus == std::string_view::npos) {
        throw NoteError("verifier key: expected <name>+<key id>+<key>");
    }
    Verifier verifier;
    verifier.name = std::string(verifier_key.substr(0, first_plus));
    const auto id =
        encoding::hex_decode(verifier_key.substr(first_plus + 1, second_plus - first_plus - 1));
    const auto typed = encoding::base64_decode(verifier_key.substr(second_plus + 1));
    if (!is_valid_key_name(verifier.name) || !id || id->size() != kKeyIdSize || !typed ||
        typed->size() != 1 + kPublicKeySize || (*typed)[0] != kEd25519Type) {
        throw NoteError("verifier key: not an Ed25519 signed-note verifier key");
    }
    verifier.key_id = *id;
    verifier.public_key = typed->substr(1);
    if (checkpoint::key_id(verifier.name, verifier.public_key) != verifier.key_id) {
        throw NoteError("verifier key: key ID does not match name and key");
    }
    return verifier;
}

std::string checkpoint_text(const Checkpoint& checkpoint) {
    return checkpoint.origin + "\n" + std::to_string(checkpoint.size) + "\n" +
           encoding::base64_encode(merkle::to_bytes(checkpoint.root)) + "\n";
}

Checkpoint open_checkpoint(std::string_view note, const Verifier& verifier) {
    if (note.size() > kMaxNoteSize || note.empty() || note.back() != '\n') {
        throw NoteError("note: not a signed note");
    }
    // Only newlines among the control characters, as signed-note requires.
    if (std::any_of(note.begin(), note.end(), [](char c) {
            return (static_cast<unsigned char>(c) < 0x20 && c != '\n') || c == 0x7F;
        })) {
        throw NoteError("note: control character");
    }
    // The text ends at the last blank line; signature lines follow it.
    const std::size_t blank = note.rfind("\n\n");
    if (blank == std::string_view::npos) {
        throw NoteError("note: no signature block");
    }
    const std::string_view text = note.substr(0, blank + 1);
    const std::vector<std::string_view> signature_lines = lines_of(note.substr(blank + 2));
    if (signature_lines.empty()) {
        throw NoteError("note: no signature lines");
    }
    bool signed_by_verifier = false;
    for (const std::string_view line : signature_lines) {
        if (line.substr(0, kSignaturePrefix.size()) != kSignaturePrefix) {
            throw NoteError("note: malformed signature line");
        }
        const std::string_view rest = line.substr(kSignaturePrefix.size());
        const std::size_t space = rest.find(' ');
        if (space == std::string_view::npos) {
            throw NoteError("note: malformed signature line");
        }
        const auto signature = encoding::base64_decode(rest.substr(space + 1));
        if (!signature || signature->size() <= kKeyIdSize) {
            throw NoteError("note: malformed signature");
        }
        // Signatures by other keys are allowed and ignored (a witness may cosign).
        if (rest.substr(0, space) != verifier.name ||
            signature->substr(0, kKeyIdSize) != verifier.key_id) {
            continue;
        }
        if (!verify_signature(verifier.public_key, text, signature->substr(kKeyIdSize))) {
            throw NoteError("note: invalid signature by " + verifier.name);
        }
        signed_by_verifier = true;
    }
    if (!signed_by_verifier) {
        throw NoteError("note: no signature by " + verifier.name + "+" +
                        encoding::hex_encode(verifier.key_id));
    }
    return parse_body(text);
}

}  // namespace webpods::checkpoint
