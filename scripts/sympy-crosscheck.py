#!/usr/bin/python3
"""SymPy's verdict on answer pairs, the reference for test/reward/math/sympy.test.ts.

Reads a JSON array of [a, b] pairs in plain notation (SymPy syntax: `*`, `**`, `sqrt()`, integers, decimals,
variables x, y) from the file named on the command line (or stdin) and prints a JSON array of booleans:
a == b as exact expressions, i.e. expand(a - b) == 0 over the rationals (decimals read as exact rationals).
Run with Debian's system Python (`apt-get install -y python3-sympy`):

    /usr/bin/python3 scripts/sympy-crosscheck.py pairs.json
"""
import json
import sys

import sympy


def equal(a: str, b: str) -> bool:
    x = sympy.sympify(a, rational=True)
    y = sympy.sympify(b, rational=True)
    d = sympy.expand(x - y)
    if d == 0:
        return True
    return sympy.simplify(d) == 0


def main() -> None:
    src = open(sys.argv[1]) if len(sys.argv) > 1 else sys.stdin
    pairs = json.load(src)
    print(json.dumps([equal(a, b) for a, b in pairs]))


if __name__ == "__main__":
    main()
