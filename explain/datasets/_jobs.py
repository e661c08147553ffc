"""A synthetic corpus of job applications with known driving phrases and a planted disparity.

Every number below is part of the documented generating process; ``jobs.md`` (the datasheet
shipped next to this module) says the same in prose. The shipped file ``data/jobs.csv.gz`` is
``generate_jobs()`` written to CSV, and a test checks that regenerating it gives the identical
frame and the identical bytes.

Generating process (``n`` applications, ``rng = np.random.default_rng(random_state)``)
--------------------------------------------------------------------------------------
Per applicant, in this order:

- ``gender``: female with probability 0.5, otherwise male.
- ``age_band``: 18-29 (0.35), 30-44 (0.40), 45-59 (0.20), 60+ (0.05).
- years of experience, uniform integers by age band: 18-29: 0-6, 30-44: 3-15, 45-59: 8-25,
  60+: 10-30.
- the role applied for: one of ``ROLES``, uniformly.
- the voice: a third-person referral ("She has ...", "his", "him") with probability 0.55,
  otherwise the applicant's own words ("I have ...").
- education: a bachelor's degree (0.50), a master's degree (0.22), a PhD (0.05) or a coding
  bootcamp (0.23); the field of a degree uniformly from ``FIELDS``.
- skills: 2 to 4 (uniformly) drawn without replacement from the eight of ``SKILLS``.
- certified in a cloud platform with probability 0.25; led a team with probability 0.30.
- a career break: women 0.12, men 0.03.
- an activity: women: a women's club or team with probability 0.45 (one of
  ``WOMENS_ACTIVITIES``); men: a fraternity or a men's team with probability 0.45 (one of
  ``MENS_ACTIVITIES``); otherwise a neutral activity (``NEUTRAL_ACTIVITIES``) with probability
  0.35 / 0.65 = 0.54, else none (so about 35 % of each gender writes a neutral one).
- a second language with probability 0.20: Spanish 0.30, French 0.20, German 0.20, Polish 0.10,
  and written in its own script: Español 0.08, Français 0.07, 中文 (Mandarin) 0.05.
- a closing line, uniformly from ``CLOSING`` (no effect).
- Then 0.5 % of the applications are empty (the upload could not be read) and 1 % are
  resubmissions: the text, gender and age band of an earlier applicant, copied.
- ``invited`` ~ Bernoulli(sigmoid(z)) with z given by :func:`jobs_log_odds` of the text.
- Then the sensitive attributes are hidden completely at random: ``gender`` for 3 % of the rows
  and ``age_band`` for 2 % (the labels were drawn before).

The text is English in sentences such as "She has 7 years of experience as a data analyst. She
holds a master's degree in statistics. Her skills include python, sql and excel." Only the words
named in :data:`JOBS_EFFECTS` and the years of experience move the label; everything else (the role,
the field, the pronouns, the neutral skills and activities, the languages, the closing line) has
no effect. The pronouns and the gendered activities are correlated with gender: a model can learn
them as a proxy, and the label process does penalise ``women's`` and ``career break``, which are
no qualification (the historical bias the corpus plants, after the screening tool Amazon
abandoned in 2018, which downgraded résumés containing "women's").
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["JOBS_EFFECTS", "JobsSplits", "generate_jobs", "jobs_log_odds", "jobs_splits", "load_jobs"]

N_APPLICATIONS = 3000
N_TRAIN = 2000
TEXT = "application"
TARGET = "invited"
SENSITIVE = ("gender", "age_band")
COLUMNS = ("application_id", TEXT, *SENSITIVE, TARGET)
CATEGORIES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {"gender": ("female", "male"), "age_band": ("18-29", "30-44", "45-59", "60+")}
)
"""The categories of each categorical column, in code order."""
DATA_FILE = "jobs.csv.gz"

INTERCEPT = -3.9
YEARS_EFFECT = 0.25
"""Log-odds per year of experience, up to :data:`YEARS_CAP` years."""
YEARS_CAP = 10
JOBS_EFFECTS: Mapping[str, float] = MappingProxyType(
    {
        "python": 1.2,
        "sql": 1.0,
        "docker": 0.7,
        "kubernetes": 0.7,
        "certified": 1.0,
        "led a team": 0.7,
        "master's": 0.5,
        "phd": 0.6,
        "bootcamp": -0.5,
        "women's": -1.0,
        "career break": -0.6,
    }
)
"""The phrases that move the true log-odds of ``invited``, with their effect (present or not);
the last two are the planted bias: no qualification, penalised by the historical decisions."""
PENALISED = ("women's", "career break")

ROLES = ("data analyst", "software engineer", "backend developer", "data engineer", "support engineer")
FIELDS = ("computer science", "statistics", "mathematics", "economics", "physics")
SKILLS = ("python", "sql", "docker", "kubernetes", "excel", "powerpoint", "photoshop", "salesforce")
WOMENS_ACTIVITIES = (
    "captain of the women's chess club",
    "a member of the women's rowing team",
    "treasurer of the women's coding society",
)
MENS_ACTIVITIES = (
    "a member of the Sigma Chi fraternity",
    "captain of the men's rugby team",
    "president of the fraternity council",
)
NEUTRAL_ACTIVITIES = (
    "a volunteer at the local food bank",
    "a member of the hiking club",
    "the organiser of a monthly book club",
)
LANGUAGES = ("Spanish", "French", "German", "Polish", "Español", "Français", "中文 (Mandarin)")
_LANGUAGE_SHARE = (0.30, 0.20, 0.20, 0.10, 0.08, 0.07, 0.05)
CLOSING = (
    "{I_am} excited to apply for this role.",
    "{I_thrive} in fast-paced teams.",
    "{I_am} a quick learner and a reliable colleague.",
    "{I_enjoy} solving problems with others.",
)
_EDUCATION_SHARE = (0.50, 0.22, 0.05, 0.23)  # bachelor's, master's, PhD, bootcamp
_AGE_SHARE = (0.35, 0.40, 0.20, 0.05)
_YEARS_RANGE = ((0, 6), (3, 15), (8, 25), (10, 30))
_PATTERNS = {phrase: re.compile(r"\b" + re.escape(phrase) + r"(?!\w)", re.IGNORECASE) for phrase in JOBS_EFFECTS}
_YEARS = re.compile(r"\b(\d+) years? of experience\b", re.IGNORECASE)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def jobs_log_odds(texts: Any) -> np.ndarray:
    """The true log-odds of ``invited`` given an application's text: the ground truth.

    ::

        z = -3.9
            + 0.25 * min(years of experience, 10)     "7 years of experience"
            + 1.2 [python] + 1.0 [sql] + 0.7 [docker] + 0.7 [kubernetes]
            + 1.0 [certified] + 0.7 [led a team]
            + 0.5 [master's] + 0.6 [phd] - 0.5 [bootcamp]
            - 1.0 [women's] - 0.6 [career break]      planted bias: no qualification

    Each bracket is 1 when the phrase occurs in the text (whole words, any case), else 0. The
    other skills (excel, powerpoint, photoshop, salesforce), the role, the pronouns, "fraternity",
    "men's", the languages and the closing line have no effect.

    Parameters
    ----------
    texts : str, sequence of str or Series
        Applications; an empty or missing text has the intercept only.

    Returns
    -------
    ndarray of shape (n,)

    Examples
    --------
    >>> jobs_log_odds(["I have 4 years of experience. My skills include python and excel.",
    ...                "Captain of the women's chess club.", ""]).round(2).tolist()
    [-1.7, -4.9, -3.9]
    """
    values = [texts] if isinstance(texts, str) else list(texts)
    z = np.full(len(values), INTERCEPT)
    for i, text in enumerate(values):
        if not isinstance(text, str) or not text:
            continue
        years = _YEARS.search(text)
        if years:
            z[i] += YEARS_EFFECT * min(int(years.group(1)), YEARS_CAP)
        z[i] += sum(effect for phrase, effect in JOBS_EFFECTS.items() if _PATTERNS[phrase].search(text))
    return z


def _voice(third: bool, female: bool) -> dict[str, str]:
    if not third:
        return {"S": "I", "s": "I", "has": "have", "is": "am", "pos": "My", "speaks": "speak", "returned": "returned",
                "I_am": "I am", "I_thrive": "I thrive", "I_enjoy": "I enjoy"}  # fmt: skip
    s, pos = ("she", "her") if female else ("he", "his")
    return {"S": s.capitalize(), "s": s, "has": "has", "is": "is", "pos": pos.capitalize(), "speaks": "speaks",
            "returned": "returned", "I_am": f"{s.capitalize()} is", "I_thrive": f"{s.capitalize()} thrives",
            "I_enjoy": f"{s.capitalize()} enjoys"}  # fmt: skip


def _listing(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _applicant(rng: np.random.Generator, female: bool, band: int) -> str:
    """One application's text, drawing in the documented order."""
    low, high = _YEARS_RANGE[band]
    years = int(rng.integers(low, high + 1))
    role = ROLES[int(rng.integers(len(ROLES)))]
    v = _voice(bool(rng.random() < 0.55), female)
    education = int(rng.choice(4, p=_EDUCATION_SHARE))
    field = FIELDS[int(rng.integers(len(FIELDS)))]
    skills = [SKILLS[j] for j in rng.choice(len(SKILLS), size=int(rng.integers(2, 5)), replace=False)]
    certified, led = bool(rng.random() < 0.25), bool(rng.random() < 0.30)
    career_break = bool(rng.random() < (0.12 if female else 0.03))
    u = rng.random()
    gendered = WOMENS_ACTIVITIES if female else MENS_ACTIVITIES
    if u < 0.45:
        activity: str | None = gendered[int(rng.integers(len(gendered)))]
    elif u < 0.80:
        activity = NEUTRAL_ACTIVITIES[int(rng.integers(len(NEUTRAL_ACTIVITIES)))]
    else:
        activity = None
    language = LANGUAGES[int(rng.choice(len(LANGUAGES), p=_LANGUAGE_SHARE))] if rng.random() < 0.20 else None
    closing = CLOSING[int(rng.integers(len(CLOSING)))]
    plural = "year" if years == 1 else "years"
    degree = ("a bachelor's degree", "a master's degree", "a PhD")
    sentences = [f"{v['S']} {v['has']} {years} {plural} of experience as a {role}."]
    if education < 3:
        sentences.append(f"{v['S']} {'hold' if v['s'] == 'I' else 'holds'} {degree[education]} in {field}.")
    else:
        sentences.append(f"{v['S']} completed a coding bootcamp.")
    sentences.append(f"{v['pos']} skills include {_listing(skills)}.")
    if certified:
        cloud = ("AWS", "Azure", "Google Cloud")[int(rng.integers(3))]
        sentences.append(f"{v['S']} {v['is']} certified in {cloud} architecture.")
    if led:
        sentences.append(f"{v['S']} led a team of {int(rng.integers(3, 10))} engineers.")
    if career_break:
        sentences.append(f"{v['S']} {v['returned']} to work after a career break.")
    if activity is not None:
        sentences.append(f"Outside work, {v['s']} {v['is']} {activity}.")
    if language is not None:
        sentences.append(f"{v['S']} {v['speaks']} English and {language}.")
    sentences.append(closing.format(**v))
    return " ".join(sentences)


def _categorical(codes: np.ndarray, column: str) -> pd.Categorical:
    return pd.Categorical.from_codes(codes, categories=list(CATEGORIES[column]))


def generate_jobs(n: int = N_APPLICATIONS, random_state: int = 0) -> pd.DataFrame:
    """Generate the job applications by the documented process (see the module docstring).

    Parameters
    ----------
    n : int, default 3000
        Number of applications.
    random_state : int, default 0
        Seed of ``np.random.default_rng``; the same seed gives the same frame.

    Returns
    -------
    DataFrame
        One row per application: ``application_id``, the text ``application`` (a string; empty
        for the unreadable uploads), the sensitive attributes ``gender`` and ``age_band``
        (category dtype, missing values allowed), and the target ``invited`` (1 = invited to an
        interview, the favourable outcome).

    Examples
    --------
    >>> frame = generate_jobs(n=200)
    >>> frame.shape, list(frame.columns)
    ((200, 5), ['application_id', 'application', 'gender', 'age_band', 'invited'])
    >>> frame.equals(generate_jobs(n=200))
    True
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 10:
        raise ValueError(f"n must be an integer of at least 10 applications; got {n!r}.")
    rng = np.random.default_rng(random_state)
    female = rng.random(n) < 0.5
    band = rng.choice(len(_AGE_SHARE), size=n, p=_AGE_SHARE)
    texts = [_applicant(rng, bool(f), int(b)) for f, b in zip(female, band, strict=True)]
    empty = np.flatnonzero(rng.random(n) < 0.005)
    for i in empty:
        texts[i] = ""
    again = rng.random(n) < 0.01
    again[0] = False
    for i in np.flatnonzero(again):
        j = int(rng.integers(i))  # an earlier applicant applies again
        texts[i], female[i], band[i] = texts[j], female[j], band[j]
    invited = (rng.random(n) < _sigmoid(jobs_log_odds(texts))).astype(np.int64)
    gender = np.where(female, 0, 1)
    gender[rng.random(n) < 0.03] = -1  # code -1: missing
    band[rng.random(n) < 0.02] = -1
    frame = pd.DataFrame(
        {
            "application_id": np.arange(1, n + 1, dtype=np.int64),
            TEXT: pd.array(texts, dtype="str"),
            "gender": _categorical(gender, "gender"),
            "age_band": _categorical(band, "age_band"),
            TARGET: invited,
        }
    )
    return frame.loc[:, list(COLUMNS)]


def _from_csv(source: Any) -> pd.DataFrame:
    frame = pd.read_csv(source, compression="gzip", keep_default_na=False, na_values={"gender": [""], "age_band": [""]})
    frame[TEXT] = frame[TEXT].astype("str")
    for name, categories in CATEGORIES.items():
        frame[name] = pd.Categorical(frame[name], categories=list(categories))
    return frame.loc[:, list(COLUMNS)]


def load_jobs() -> pd.DataFrame:
    """Read the shipped job applications (``generate_jobs()``, 3 000 rows).

    Returns
    -------
    DataFrame
        The frame of :func:`generate_jobs` with its defaults; see the datasheet ``jobs.md``.

    Examples
    --------
    >>> frame = load_jobs()
    >>> frame.shape, round(float(frame["invited"].mean()), 3)
    ((3000, 5), 0.385)
    """
    with resources.files(__package__).joinpath("data", DATA_FILE).open("rb") as f:
        return _from_csv(f)


@dataclass(frozen=True)
class JobsSplits:
    """The demo split: the first 2 000 applications to train, the last 1 000 to test.

    ``X_train`` and ``X_test`` hold the text column *and* the sensitive columns (for the bias
    audit; indexed by ``application_id``); fit a model on ``X[text]`` only.
    """

    X_train: pd.DataFrame
    y_train: pd.Series
    X_test: pd.DataFrame
    y_test: pd.Series
    text: str
    sensitive: tuple[str, ...]
    target: str


def jobs_splits(random_state: int = 0) -> JobsSplits:
    """Split the applications: the first 2 000 to train, the last 1 000 to test.

    The applications are drawn independently of their order, so this is a random split (a
    resubmission may copy a training application into the test set, as in real hiring data:
    the data section of an audit counts such duplicates).

    Parameters
    ----------
    random_state : int, default 0
        Seed of the generating process. 0 reads the shipped file (identical to
        ``generate_jobs(random_state=0)``); another seed generates a fresh draw.

    Returns
    -------
    JobsSplits

    Examples
    --------
    >>> split = jobs_splits()
    >>> split.X_train.shape, split.X_test.shape, split.text, split.sensitive, split.target
    ((2000, 3), (1000, 3), 'application', ('gender', 'age_band'), 'invited')
    """
    frame = load_jobs() if random_state == 0 else generate_jobs(random_state=random_state)
    frame = frame.set_index("application_id")
    X, y = frame.loc[:, [TEXT, *SENSITIVE]], frame[TARGET]
    train = slice(0, N_TRAIN)
    test = slice(N_TRAIN, None)
    return JobsSplits(X.iloc[train], y.iloc[train], X.iloc[test], y.iloc[test], TEXT, SENSITIVE, TARGET)


def write_jobs(path: str | Path) -> Path:
    """Write ``generate_jobs()`` as gzip CSV with a pinned header time, so the bytes repeat."""
    path = Path(path)
    frame = generate_jobs()
    frame.to_csv(path, index=False, compression={"method": "gzip", "mtime": 0, "compresslevel": 9})
    return path
