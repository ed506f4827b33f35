"""What PAYMENTS → Payer Rules looks like: the rule list and the open drawer at 80x24."""

from __future__ import annotations

import pytest

from pctui.core.codes import PayerLevel
from pctui.store import payers, rules
from pctui.store.payers import PayerDraft
from pctui.store.rules import RuleDraft, RuleLevelDraft


@pytest.fixture
def populated(store, admin) -> None:
    build_rules(store, admin)


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


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_payer_rules_list(snap_compare, make_app, populated, size) -> None:
    assert snap_compare(make_app(), terminal_size=size, press=["f3"])


def test_add_payer_rule_drawer_at_80x24(snap_compare, make_app, populated) -> None:
    assert snap_compare(make_app(), terminal_size=(80, 24), press=["f3", "a"])


def test_edit_payer_rule_drawer_at_80x24(snap_compare, make_app, populated) -> None:
    assert snap_compare(make_app(), terminal_size=(80, 24), press=["f3", "e"])


def test_payer_rules_for_a_biller_at_80x24(snap_compare, make_app, populated) -> None:
    assert snap_compare(make_app("bob"), terminal_size=(80, 24), press=["f3"])
