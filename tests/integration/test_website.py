"""A pod serves a website (issue 4): HTML, CSS, JavaScript and a PNG written as records, mapped
with .meta/links, loaded by headless Chromium. The page's script reports what the browser saw:
that it ran, the computed style from the stylesheet, and the decoded image size."""

import os
import re
import shutil
import struct
import subprocess
import tempfile
import unittest
import zlib

import harness
from harness import new_pod, new_user, write

INDEX = b"""<!doctype html>
<html><head><meta charset="utf-8"><title>pod site</title>
<link rel="stylesheet" href="/style.css"></head>
<body><h1 id="title">Hello from a pod</h1>
<img id="logo" src="/logo.png" alt="logo">
<p id="report">script did not run</p>
<script src="/app.js"></script></body></html>"""

STYLE = b"body { background-color: rgb(12, 34, 56); } #title { color: rgb(200, 100, 50); }"

SCRIPT = b"""window.addEventListener('load', function () {
  var body = getComputedStyle(document.body).backgroundColor;
  var title = getComputedStyle(document.getElementById('title')).color;
  var logo = document.getElementById('logo');
  document.getElementById('report').textContent =
    'ran;body=' + body + ';title=' + title + ';logo=' + logo.naturalWidth + 'x' + logo.naturalHeight;
});"""


def png(width, height, rgb):
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data +
                struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" +
            chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def chromium_dump_dom(url):
    profile = tempfile.mkdtemp(prefix="webpods-chromium-")
    try:
        result = subprocess.run(
            ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--disable-quic", f"--user-data-dir={profile}", "--virtual-time-budget=5000",
             "--dump-dom", url],
            capture_output=True, text=True, timeout=90)
        return result.stdout
    finally:
        shutil.rmtree(profile, ignore_errors=True)


class WebsiteTest(unittest.TestCase):
    def test_pod_serves_a_website_that_chromium_renders(self):
        pod, alice = new_pod("site"), new_user("alice")
        logo = png(7, 5, (255, 0, 0))
        for stream, body, content_type in [("web/index", INDEX, "text/html; charset=utf-8"),
                                           ("web/style", STYLE, "text/css"),
                                           ("web/app", SCRIPT, "text/javascript"),
                                           ("web/logo", logo, "image/png")]:
            answer = write(pod, stream, body, alice, headers={"Content-Type": content_type})
            self.assertEqual(answer.status, 201, answer)
        links = {"/": "web/index?i=-1", "/style.css": "web/style?i=-1",
                 "/app.js": "web/app?i=-1", "/logo.png": "web/logo?i=-1"}
        self.assertEqual(write(pod, ".meta/links", links, alice).status, 201)

        # Each resource, as the browser will fetch it.
        logo_answer = harness.read(pod, "/logo.png")
        self.assertEqual(logo_answer.body, logo)
        self.assertEqual(logo_answer.headers["content-type"], "image/png")
        self.assertEqual(harness.read(pod, "/style.css").headers["content-type"], "text/css")

        url = f"http://{harness.pod_host(pod)}:{harness.STACK.http_port}/"
        dom = chromium_dump_dom(url)
        report = re.search(r'<p id="report">([^<]*)</p>', dom)
        self.assertIsNotNone(report, dom[:2000])
        self.assertEqual(report.group(1),
                         "ran;body=rgb(12, 34, 56);title=rgb(200, 100, 50);logo=7x5")


if __name__ == "__main__":
    unittest.main()
