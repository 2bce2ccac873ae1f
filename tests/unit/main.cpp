// Boost.Test entry point: every *_test.cpp under tests/unit/ links into this one runner.
#define BOOST_TEST_MODULE webpods_unit
#include <boost/test/unit_test.hpp>
