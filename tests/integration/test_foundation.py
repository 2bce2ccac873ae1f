"""Foundation (issue 2): health, host handling, JSON errors for unknown routes and methods."""

import unittest

from harness import DOMAIN, request


class HealthTest(unittest.TestCase):
    def test_health_on_main_domain_is_healthy_json(self):
        answer = request("GET", "/health")
        self.assertEqual(answer.status, 200)
        self.assertEqual(answer.headers["content-type"], "application/json")
        body = answer.json()
        self.assertEqual(body["status"], "healthy")
        self.assertEqual(body["database"], "connected")
        self.assertIn("version", body)

    def test_health_over_https(self):
        answer = request("GET", "/health", https=True)
        self.assertEqual(answer.status, 200)
        self.assertEqual(answer.json()["status"], "healthy")

    def test_health_ignores_port_in_host(self):
        answer = request("GET", "/health", host=f"{DOMAIN}:8080")
        self.assertEqual(answer.status, 200)

    def test_health_on_a_pod_is_not_found(self):
        answer = request("GET", "/health", host=f"alice.{DOMAIN}")
        self.assertEqual(answer.status, 404)

    def test_post_to_health_is_method_not_allowed_with_allow(self):
        answer = request("POST", "/health", body="x")
        self.assertEqual(answer.status, 405)
        self.assertEqual(answer.error_code, "METHOD_NOT_ALLOWED")
        self.assertIn("GET", answer.headers["allow"])


class HostTest(unittest.TestCase):
    def test_unknown_domain_is_json_not_found(self):
        answer = request("GET", "/health", host="example.com")
        self.assertEqual(answer.status, 404)
        self.assertEqual(answer.error_code, "NOT_FOUND")

    def test_two_labels_under_domain_is_not_found(self):
        answer = request("GET", "/blog", host=f"a.b.{DOMAIN}")
        self.assertEqual(answer.status, 404)
        self.assertEqual(answer.error_code, "NOT_FOUND")

    def test_invalid_pod_label_is_invalid_pod_id(self):
        for label in ["-bad", "bad-", "x" * 64, "under_score"]:
            with self.subTest(label=label):
                answer = request("GET", "/blog", host=f"{label}.{DOMAIN}")
                self.assertEqual(answer.status, 400)
                self.assertEqual(answer.error_code, "INVALID_POD_ID")

    def test_host_is_case_insensitive(self):
        answer = request("GET", "/health", host=DOMAIN.upper())
        self.assertEqual(answer.status, 200)

    def test_suffix_lookalike_domain_is_not_a_pod(self):
        answer = request("GET", "/blog", host=f"evil{DOMAIN}")
        self.assertEqual(answer.status, 404)
        self.assertEqual(answer.error_code, "NOT_FOUND")


class ErrorEnvelopeTest(unittest.TestCase):
    def test_unknown_main_domain_path_is_json_404(self):
        answer = request("GET", "/nope")
        self.assertEqual(answer.status, 404)
        self.assertEqual(answer.error_code, "NOT_FOUND")
        self.assertIn("message", answer.json()["error"])

    def test_put_on_a_stream_is_405_with_allow(self):
        for method in ["PUT", "PATCH"]:
            with self.subTest(method=method):
                answer = request(method, "/blog", host=f"alice.{DOMAIN}", body="x")
                self.assertEqual(answer.status, 405)
                self.assertEqual(answer.error_code, "METHOD_NOT_ALLOWED")
                self.assertEqual(answer.headers["allow"], "GET, HEAD, POST, DELETE")

    def test_oversized_body_rejected_by_nginx_as_json(self):
        answer = request("POST", "/blog", host=f"alice.{DOMAIN}", body=b"x" * (10485760 + 1))
        self.assertEqual(answer.status, 413)
        self.assertEqual(answer.error_code, "PAYLOAD_TOO_LARGE")

    def test_malformed_request_gets_json_from_nginx(self):
        answer = request("GET", "/health", headers={"Host": "bad host with spaces"})
        self.assertEqual(answer.status, 400)
        self.assertEqual(answer.error_code, "INVALID_INPUT")


if __name__ == "__main__":
    unittest.main()
