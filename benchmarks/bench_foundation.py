"""Speed of the exact Hermite engine and the exponents (issues 2 and 9).

Targets: expansion + both exponents of a degree-40 integer polynomial under 0.2 s; the
full profile of He_6 with power exponents up to 6 under 1 s; each issue-9 case (the CI probe
runs ``exponents LINK --json`` with a 6 s timeout) under 6 s, in process.  Anchor: a naive SymPy
``integrate`` of the Gaussian expectation ``E[f He_k] / k!`` for the same polynomial,
measured in the same run (for k = 0..kmax on a degree-12 polynomial, and extrapolated
nowhere: we time exactly what we compare).

Run: ``python benchmarks/bench_foundation.py``
"""
import random
import time

import sympy as sp

from theory.exponents import generative_exponent, information_exponent, profile
from theory.hermite import exact_coefficients
from theory.links import Z, Link, hermite_polynomial


def timed(fn):
    """Wall time of one cold call (the engine's caches are empty for its first job)."""
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def naive_coefficients(expr, kmax):
    phi = sp.exp(-Z**2 / 2) / sp.sqrt(2 * sp.pi)
    return [sp.integrate(expr * hermite_polynomial(k) * phi, (Z, -sp.oo, sp.oo)) / sp.factorial(k)
            for k in range(kmax + 1)]


def main():
    rng = random.Random(0)
    poly40 = sp.Add(*[rng.randint(-9, 9) * Z**n for n in range(40)]) + Z**40
    link40 = Link(poly40, "random degree-40 polynomial")

    def job40():
        exact_coefficients(link40, 40)
        return information_exponent(link40, 40), generative_exponent(link40, 40)

    t40, (ie, ge) = timed(job40)
    t_he6, prof = timed(lambda: profile("He6", kmax=12, powers=6))

    poly12 = sp.Add(*[rng.randint(-9, 9) * Z**n for n in range(12)]) + Z**12
    t_ours12, ours = timed(lambda: exact_coefficients(poly12, 12))
    t_naive12, naive = timed(lambda: naive_coefficients(poly12, 12))
    assert all(sp.simplify(a - b) == 0 for a, b in zip(ours, naive)), "engine and sympy.integrate disagree"

    print(f"{'case':58s} {'seconds':>9s} {'target':>8s}")
    print(f"{'degree-40 polynomial: expansion + IE + GE':58s} {t40:9.4f} {'< 0.2':>8s}   (IE={ie}, GE={ge})")
    print(f"{'He6 full profile, kmax=12, powers 1..6':58s} {t_he6:9.4f} {'< 1':>8s}   "
          f"(p = {[e.value for e in prof.power_exponents.values()]})")
    print(f"{'degree-12 polynomial u_0..u_12: this engine':58s} {t_ours12:9.4f}")
    print(f"{'degree-12 polynomial u_0..u_12: naive sympy.integrate':58s} {t_naive12:9.4f}")
    print(f"ratio naive/engine on the same degree-12 job: {t_naive12 / t_ours12:.0f}x")
    issue9 = [("z**4*exp(-2*z**2)", {}), ("+".join(f"Abs(z-{i / 10})" for i in range(16)), {}),
              ("tanh", {"kmax": 200, "powers": 12}), ("z**101", {}), ("Heaviside(sin(10*z))", {}),
              ("sign(sin(z))", {}), ("sigmoid(z)+sigmoid(-z)", {})]
    slow = []
    for text, kw in issue9:
        t, prof = timed(lambda: profile(text, **kw))
        label = f"issue 9: {text[:30]}{'...' if len(text) > 30 else ''} {kw or ''}"
        print(f"{label:58s} {t:9.4f} {'< 6':>8s}   (IE {prof.information_exponent}, "
              f"GE {prof.generative_exponent})")
        slow.append(t >= 6.0)
    ok = t40 < 0.2 and t_he6 < 1.0 and not any(slow)
    print("targets met" if ok else "TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
