"""Writes the failure campaigns' corpus: COUNT (default 90) text, Markdown and HTML files of
random words.

Usage: python3 campaign-files.py DIR REVISION [COUNT]
Revision 0 writes all of them; revision N > 0 rewrites the third whose number is N mod 3, so
successive rounds replace documents as well as add them. The content depends only on the file
number and the revision.
"""

import os
import random
import sys

root, rev = sys.argv[1], int(sys.argv[2])
count = int(sys.argv[3]) if len(sys.argv) > 3 else 90
os.makedirs(root, exist_ok=True)
words = "narwhal glacier lantern orchard quartz meridian harbor falcon thistle cobalt".split()
for i in range(count):
    if rev and i % 3 != rev % 3:
        continue
    rnd = random.Random(f"{i}-{rev}")
    body = "\n\n".join(" ".join(rnd.choice(words) for _ in range(80)) + "." for _ in range(25))
    ext = ["txt", "md", "html"][i % 3]
    text = f"Document {i} revision {rev}.\n\n{body}\n"
    if ext == "html":
        text = f"<html><head><title>Document {i}</title></head><body><p>{body}</p></body></html>"
    with open(os.path.join(root, f"doc{i:04}.{ext}" if count > 1000 else f"doc{i:03}.{ext}"), "w") as f:
        f.write(text)
