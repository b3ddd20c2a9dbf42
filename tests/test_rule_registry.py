"""The rule registry: every rule is one class, ``Rule.spec`` round-trips, derivation steps are typed.

Test policy: each test can fail -- a rule that loses an option in ``spec``, a step whose LaTeX
label differs from the one the LaTeX layer derives from its text, an option not refused.
"""
import json

import pytest
import sympy as sp

from theory import latex
from theory.errors import RuleError
from theory.rules import RULES, DerivationStep, Rule, make_rule, registry, rule_class
from theory.symbols import Y

#: Every registered rule with the options it takes (several values each), on two targets.
CASES = [
    ("online", {}), ("online", {"loss": "squared"}), ("online", {"a": 2}), ("online", {"a": 0.1}),
    ("online", {"a": "1/3"}), ("online", {"noise": 0.5}),
    ("batch-reuse", {}), ("batch-reuse", {"order": 2}), ("batch-reuse", {"loss": "squared", "order": 1}),
    ("alternating", {}), ("alternating", {"keep_a": True}), ("alternating", {"loss": "squared", "a": -1.5}),
    ("custom", {"psi": "y*z + eta*y**2/d"}), ("custom", {"psi": "a*y*tanh(z)", "a": 3}),
    ("online-transform", {"transform": "y**2"}), ("online-transform", {"transform": "y**2 - 1", "loss": "squared"}),
]


def test_registry_holds_every_rule_once():
    assert RULES == tuple(registry()) == ("online", "batch-reuse", "alternating", "custom", "online-transform")
    for name, cls in registry().items():
        assert issubclass(cls, Rule) and cls.name == name and cls.help
        assert rule_class(name) is cls


@pytest.mark.parametrize("target", ["He3", "h2"])
@pytest.mark.parametrize("rule, kwargs", CASES)
def test_spec_round_trips(rule, kwargs, target):
    r = make_rule(rule, target, **kwargs)
    spec = r.spec
    assert json.loads(json.dumps(spec)) == spec  # plain JSON
    assert set(type(r).options) <= set(spec)
    again = make_rule(**spec)
    assert type(again) is type(r) and again == r and again.spec == spec
    assert Rule.from_spec(spec) == r
    assert again.a == r.a and again.target.noise == r.target.noise
    assert sp.expand(again.psi_full - r.psi_full) == 0 and again.label == r.label


def test_spec_keeps_the_options_that_change_the_rule():
    a, b = make_rule("custom", "He3", psi="y*z"), make_rule("custom", "He3", psi="y*z**3")
    assert a.spec["psi"] == "y*z" and a != b
    kept = make_rule("alternating", "He3", keep_a=True)
    assert kept.spec["keep_a"] is True and make_rule(**kept.spec).a_next != make_rule("alternating", "He3").a_next
    assert make_rule("online", "He3", a="1/3").spec["a"] == "1/3"  # not a float that loses it


def test_student_defaults_to_the_target_without_its_noise():
    r = make_rule("online", "He3", noise=0.5)
    assert r.student == make_rule("online", "He3", "He3").student and r.student.noise == 0
    assert r == make_rule("online", "He3", "He3", noise=0.5)


@pytest.mark.parametrize("rule, kwargs", [(r, {"loss": loss}) for r in ("online", "batch-reuse", "alternating")
                                           for loss in ("correlation", "squared")]
                         + [("batch-reuse", {"order": 2}), ("custom", {"psi": "y*z"})])
def test_step_records_carry_the_latex_layers_labels(rule, kwargs):
    """Every step is a typed record whose LaTeX label and note are what psi_latex typesets."""
    r = make_rule(rule, "He3", **kwargs)
    assert r.derivation and all(isinstance(s, DerivationStep) for s in r.derivation)
    text_out = latex.psi_latex(r)
    for step in r.derivation:
        assert step.latex and step.note
        assert step.latex in text_out and (r"{\small " + step.note + ":}") in text_out
        text, expr = step  # the old (text, expr) pair still unpacks
        assert (text, expr) == (step.text, step.expr)


def test_step_labels_of_the_paper_rules():
    """The labels the LaTeX layer used to parse out of the prose, now written by the rule classes."""
    alt = make_rule("alternating", "He3")
    assert [s.latex for s in make_rule("online", "He3").derivation] == [
        r"\ell\bigl(y, a\sigma(z)\bigr)", r"\psi = -\partial_z \ell", r"\psi_\eta(y, z)"]
    assert [s.note for s in make_rule("online", "He3", loss="squared").derivation][0] == "squared loss"
    assert alt.derivation[0].note == "correlation loss"
    br = make_rule("batch-reuse", "He3", order=2).derivation
    assert br[-2].latex == r"\psi" and "order $2$" in br[-2].note


def test_new_rule_steps_have_their_own_labels():
    r = make_rule("online-transform", "He3", transform="y**2")
    assert [s.latex for s in r.derivation] == ["T(y)", r"\ell\bigl(T(y), a\sigma(z)\bigr)",
                                               r"\psi = -\partial_z \ell", r"\psi_\eta(y, z)"]
    assert r.derivation[0].expr == Y**2


@pytest.mark.parametrize("rule, kwargs, message", [
    ("online", {"transform": "y**2"}, "--transform applies only to the online-transform rule, not to the online rule"),
    ("custom", {"transform": "y**2", "psi": "y*z"}, "--transform applies only to the online-transform rule"),
    ("online-transform", {"psi": "y*z", "transform": "y"}, "--psi applies only to the custom rule"),
    ("online-transform", {"keep_a": True, "transform": "y"}, "--keep-a applies only to the alternating rule"),
    ("online-transform", {}, "needs --transform"),
    ("online-transform", {"transform": "exp(y)"}, "must be a polynomial in y"),
    ("online-transform", {"transform": "3"}, "must be a polynomial in y of degree 1"),
    ("online-transform", {"transform": "y**7"}, "degree 1 to 6"),
    ("custom", {"loss": "squared", "psi": "y*z"},
     r"--loss does not apply to the custom rule \(psi is given directly\), got 'squared'"),
    ("nope", {}, "unknown rule 'nope'; choose one of online, batch-reuse, alternating, custom, online-transform"),
])
def test_refusals(rule, kwargs, message):
    with pytest.raises(RuleError, match=message):
        make_rule(rule, "He3", **kwargs)


def test_eta_declarations():
    assert registry()["online"].eta_independent and registry()["online-transform"].eta_independent
    assert not any(registry()[n].eta_independent for n in ("batch-reuse", "alternating", "custom"))
    assert make_rule("batch-reuse", "He3").eta_range == (1, "eta d <= 1")
    assert make_rule("online-transform", "He3", transform="y").eta_range[0] == -sp.oo


def test_rule_displays_through_the_renderer_registry():
    from theory import display

    r = make_rule("online", "He3")
    assert isinstance(r, display.RichDisplay)
    display.register(type(r), "latex", lambda rule: "rendered " + rule.name)
    try:
        assert r._repr_latex_() == "rendered online"
    finally:
        display._RENDERERS.pop((type(r), "latex"))
