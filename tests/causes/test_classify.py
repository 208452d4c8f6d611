"""Cause classification (R7): labelled answers to "wat is er gebeurd?" and the priority rules.

Sentences are written for this project in informal chat Dutch; none is a real customer message.
"""
import pytest

from bot.causes import CAUSES, causes_version, classify_cause, explain_cause, needs_follow_up, structural_default

LABELLED = [
    # job_loss
    ("ik ben ontslagen", "job_loss"),
    ("mijn contract werd niet verlengd", "job_loss"),
    ("ik ben mijn baan kwijt sinds april", "job_loss"),
    ("ik zit sinds kort in de ww", "job_loss"),
    ("mijn werkgever ging failliet", "job_loss"),
    ("ik ben werkloos geworden", "job_loss"),
    ("door een reorganisatie sta ik op straat", "job_loss"),
    # income_drop
    ("ik werk minder uren dan vroeger", "income_drop"),
    ("mijn uitkering is verlaagd", "income_drop"),
    ("mijn huurtoeslag is gestopt", "income_drop"),
    ("ik ben met pensioen en heb nu minder inkomen", "income_drop"),
    ("alles is duurder geworden, boodschappen, energie", "income_drop"),
    ("ik kom gewoon niet rond elke maand", "income_drop"),
    ("ik heb een nulurencontract en krijg weinig uren", "income_drop"),
    ("mijn salaris is omlaag gegaan", "income_drop"),
    # one_off_expense
    ("mijn auto was kapot en de garage was duur", "one_off_expense"),
    ("de wasmachine ging stuk", "one_off_expense"),
    ("ik had een hoge rekening van de tandarts", "one_off_expense"),
    ("we zijn verhuisd en dat kostte veel", "one_off_expense"),
    ("de bruiloft van mijn dochter", "one_off_expense"),
    ("onverwachte kosten deze maand", "one_off_expense"),
    ("de cv ketel moest vervangen worden, was kapot", "one_off_expense"),
    ("ik moest het eigen risico betalen", "one_off_expense"),
    # illness
    ("ik ben ziek geweest", "illness"),
    ("ik heb een burn-out", "illness"),
    ("ik lag in het ziekenhuis", "illness"),
    ("ik ben arbeidsongeschikt", "illness"),
    ("door mijn ziekte ben ik ontslagen", "illness"),
    ("ik zit in de ziektewet en krijg minder loon", "illness"),
    # relationship_end
    ("we zijn uit elkaar", "relationship_end"),
    ("ik zit in een scheiding", "relationship_end"),
    ("mijn ex betaalt zijn deel niet meer", "relationship_end"),
    ("sinds de scheiding heb ik minder inkomen", "relationship_end"),
    ("mijn man heeft me verlaten", "relationship_end"),
    # bereavement
    ("mijn vader is overleden", "bereavement"),
    ("de begrafenis van mijn moeder was duur", "bereavement"),
    ("mijn vrouw is gestorven en nu is er maar 1 inkomen", "bereavement"),
    ("ik was het vergeten door het overlijden van mijn broer", "bereavement"),
    # forgot
    ("ik was het vergeten", "forgot"),
    ("sorry vergeten over te maken", "forgot"),
    ("over het hoofd gezien", "forgot"),
    ("ik was op vakantie en heb er niet aan gedacht", "forgot"),
    ("stom van mij, gemist", "forgot"),
    ("ik ben niet ziek of zo, ik was het gewoon vergeten", "forgot"),
    # payment_timing
    ("mijn salaris kwam later dan normaal", "payment_timing"),
    ("de incasso was voor mijn salaris binnen was", "payment_timing"),
    ("ik krijg mijn loon pas op de 25e", "payment_timing"),
    ("jullie schrijven te vroeg af, mijn uitkering komt later binnen", "payment_timing"),
    ("de afschrijving is mislukt", "payment_timing"),
    ("ik heb een nieuwe bankrekening en de incasso liep nog op de oude", "payment_timing"),
    # other_debts (outranks everything, R7)
    ("ik heb ook schulden bij andere bedrijven", "other_debts"),
    ("er ligt loonbeslag op mijn salaris", "other_debts"),
    ("de deurwaarder zit achter me aan", "other_debts"),
    ("ik moest eerst de huur betalen", "other_debts"),
    ("ik ben ontslagen en heb nu ook schulden", "other_debts"),
    ("ik moet toeslagen terugbetalen aan de belastingdienst", "other_debts"),
    ("ik heb nog 3 andere leningen", "other_debts"),
    ("ik sta rood bij de bank", "other_debts"),
    # business
    ("ik ben zzp'er en heb weinig opdrachten", "business"),
    ("mijn zaak loopt slecht", "business"),
    ("mijn klanten betalen hun facturen niet", "business"),
    ("als zelfstandige heb ik minder omzet dit jaar", "business"),
    ("ik heb een eigen bedrijf en het gaat niet goed", "business"),
    # other
    ("weet ik niet precies", "other"),
    ("het is een lang verhaal", "other"),
    ("gewoon even lastig", "other"),
    ("ik heb geen schulden en ben niet ziek", "other"),
    ("het beslag voor de taart was mislukt haha", "other"),
]


@pytest.mark.parametrize("text,expected", LABELLED)
def test_labelled(text, expected):
    assert classify_cause(text) == expected


def test_every_category_is_covered_by_the_labelled_set():
    assert {c for _, c in LABELLED} == set(CAUSES)
    assert len(LABELLED) >= 60


def test_result_is_always_a_known_category():
    for text in ["", "   ", "😀", "123", "?!", "a" * 500]:
        assert classify_cause(text) in CAUSES


def test_debts_outrank_job_loss_r7():
    result = explain_cause("ik ben ontslagen en heb nu ook schulden")
    assert result.cause == "other_debts"
    assert result.candidates == ("other_debts", "job_loss")


def test_negated_cause_falls_through_to_the_next():
    assert classify_cause("geen ontslag, ik kreeg minder uren") == "income_drop"
    assert classify_cause("ik heb geen andere schulden, de auto was kapot") == "one_off_expense"


def test_explain_names_the_term():
    result = explain_cause("mijn vader is overleden")
    assert result.cause == "bereavement" and result.term == "overleden"
    assert explain_cause("hmm").term is None


@pytest.mark.parametrize("cause,structural", [
    ("forgot", False), ("payment_timing", False), ("one_off_expense", False),
    ("other_debts", True), ("income_drop", True), ("relationship_end", True),
    ("bereavement", True), ("job_loss", False), ("illness", False), ("business", False),
    ("other", False),
])
def test_structural_defaults(cause, structural):
    assert structural_default(cause) is structural


def test_follow_up_decides_job_loss_illness_business():
    assert {c for c in CAUSES if needs_follow_up(c)} == {"job_loss", "illness", "business", "other"}


def test_unknown_cause_is_rejected():
    with pytest.raises(ValueError):
        structural_default("lottery_win")


def test_rules_are_versioned():
    assert causes_version()
