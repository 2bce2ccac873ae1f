"""nginx's first line (SPEC §10): limit_req answers 429 in the service's JSON envelope."""

import unittest

import harness
from harness import request


class FloodLimitTest(unittest.TestCase):
    def test_limit_req_answers_429_rate_limit_exceeded(self):
        # nginx/dev.conf.template lets one request a minute through this location.
        answers = [request("GET", "/.webpods-flood-check") for _ in range(3)]
        self.assertNotEqual(answers[0].status, 429, answers)
        for answer in answers[1:]:
            self.assertEqual(answer.status, 429, answer)
            self.assertEqual(answer.error_code, "RATE_LIMIT_EXCEEDED", answer)
            self.assertTrue(answer.headers["content-type"].startswith("application/json"))


if __name__ == "__main__":
    unittest.main()
