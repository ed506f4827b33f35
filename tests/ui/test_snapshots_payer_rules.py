"""What PAYMENTS → Payer Rules and its forms look like at 80x24 and 120x40."""

from __future__ import annotations

import pytest

from pctui.core.codes import PayerLevel
from pctui.store import payers, rules
from pctui.store.payers import PayerDraft
from pctui.store.rules import RuleDraft, RuleLevelDraft
from tests.ui.snapshots import SIZES, fix_times, fixed_export_path, keys  # noqa: F401


@pytest.fixture
def populated(store, admin) -> None:
    build_rules(store, admin)
    fix_times(store)


def build_rules(store, admin) -> None:
    """Four payers and their rules, one of them deactivated (also used to look at it in tmux)."""
    bcbs = payers.store_payer(store, admin, PayerDraft(
        "BCBS", "Blue Cross Blue Shield of Texas", "commercial", "84980", ["84980", "1840980"]))
    mcr = payers.store_payer(store, admin, PayerDraft(
        "MCR", "Medicare Part B (Noridian JF)", "medicare", "01312", ["01312"]))
    mcd = payers.store_payer(store, admin, PayerDraft(
        "MCDCA", "Medi-Cal (California Medicaid)", "medicaid", "610442", ["610442"]))
    wcf = payers.store_payer(store, admin, PayerDraft(
        "WCF", "State Compensation Insurance Fund", "workers_comp", "35076", ["35076"]))

    def add(inbound_id, payer, description, **changes) -> rules.RuleView:
        levels = rules.default_levels(payer.insurance_class)
        for level, settings in changes.items():
            levels[PayerLevel(level)] = settings
        return rules.save_rule(store, admin, RuleDraft(inbound_id, payer.id, description, levels))

    add("01312", mcr, "Medicare Part B, crossovers to Medi-Cal")
    add("84980", bcbs, "BCBS PPO", tertiary=RuleLevelDraft("PCON", "AIWO", "post", "transfer",
                                                          "adjust", "AIWO"))
    add("610442", mcd, "Medi-Cal: write off what is left",
        primary=RuleLevelDraft("PMCD", "AMCD", "post", "transfer", "adjust", "AMCD"))
    old = add("35076", wcf, "Old workers' comp rule",
              primary=RuleLevelDraft("PWCI", "AWCA", "skip", "keep"))
    rules.set_rule_active(store, admin, old.id, False)


SCREENS = {
    "rules": keys("f3"),
    "rules_with_inactive": keys("f3", "i"),
    "payers": keys("f3", "2"),
    "overrides": keys("f3", "3"),
    "posting_codes": keys("f3", "4"),
    "add_rule_drawer": keys("f3", "a"),
    "edit_rule_drawer": keys("f3", "e"),
    "add_payer_form": keys("f3", "2", "a"),
    "inbound_id_form": keys("f3", "2", "n"),
    "override_form": keys("f3", "3", "a"),
    "code_form": keys("f3", "4", "a"),
    "deactivate_question": keys("f3", "d"),
    "audit_log": keys("f3", "l"),
    "search": keys("f3", "slash", "m", "e", "d", "i"),
}


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("screen", list(SCREENS))
def test_payer_rules(snap_compare, make_app, populated, screen, size) -> None:
    assert snap_compare(make_app(), terminal_size=size, run_before=SCREENS[screen])


@pytest.mark.parametrize("size", SIZES)
def test_payer_rules_for_a_biller(snap_compare, make_app, populated, size) -> None:
    assert snap_compare(make_app("bob"), terminal_size=size, press=["f3"])
