"""Exit non-zero unless two JSON texts are equal as values: expect_json.py ACTUAL EXPECTED."""

import json
import sys

actual, expected = (json.loads(text) for text in sys.argv[1:3])
if actual != expected:
    sys.exit(f"expected {expected}, got {actual}")
print("ok", json.dumps(actual))
