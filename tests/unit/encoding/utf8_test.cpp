// UTF-8 well-formedness: the sequences Unicode Table 3-7 allows and the ones it forbids.
#include "encoding/utf8.h"

#include <boost/test/unit_test.hpp>

namespace encoding = webpods::encoding;

BOOST_AUTO_TEST_SUITE(encoding_utf8)

BOOST_AUTO_TEST_CASE(ascii_and_multibyte_sequences_are_valid) {
    BOOST_TEST(encoding::is_valid_utf8(""));
    BOOST_TEST(encoding::is_valid_utf8("w\xc3\xb6rld"));
    BOOST_TEST(encoding::is_valid_utf8("\xe2\x82\xac"));      // U+20AC
    BOOST_TEST(encoding::is_valid_utf8("\xf4\x8f\xbf\xbf"));  // U+10FFFF
}

BOOST_AUTO_TEST_CASE(invalid_utf8_is_refused) {
    BOOST_TEST(!encoding::is_valid_utf8("\xff"));
    BOOST_TEST(!encoding::is_valid_utf8("\xc0\xaf"));          // overlong '/'
    BOOST_TEST(!encoding::is_valid_utf8("\xed\xa0\x80"));      // surrogate
    BOOST_TEST(!encoding::is_valid_utf8("\xf4\x90\x80\x80"));  // above U+10FFFF
    BOOST_TEST(!encoding::is_valid_utf8("\xe2\x82"));          // truncated
    BOOST_TEST(!encoding::is_valid_utf8("\x80"));              // lone continuation
}

BOOST_AUTO_TEST_SUITE_END()
