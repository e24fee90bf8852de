"""Fictional place names (vectorized over places)."""

from __future__ import annotations

import numpy as np

STREETS = np.array([
    "Ashland", "Kedzie", "Pulaski", "Cicero", "Halsted", "Western", "Damen", "Central",
    "Laramie", "Austin", "Racine", "Wood", "Lawndale", "Homan", "Keeler", "Kostner",
    "Ogden", "Archer", "Cermak", "Roosevelt", "Madison", "Division", "Armitage", "Fullerton",
    "Diversey", "Belmont", "Irving", "Montrose", "Lawrence", "Foster", "Garfield", "Marquette",
], dtype=object)
SURNAMES = np.array([
    "Washington", "Lincoln", "Douglass", "Addams", "Tubman", "Du Bois", "Hughes", "Brooks",
    "Wright", "Parks", "King", "Clemente", "Juarez", "Chavez", "Morrison", "Baldwin",
    "Robeson", "Hansberry", "Wells", "Evers", "Hamer", "Bethune", "Carver", "Owens",
], dtype=object)
TREES = np.array([
    "Oak", "Elm", "Maple", "Willow", "Linden", "Cedar", "Birch", "Chestnut", "Hickory", "Walnut",
], dtype=object)
SAINTS = np.array(["Mark", "Anne", "Joseph", "Agnes", "Paul", "Rita", "Luke", "Monica"], dtype=object)

#: Per kind: (word list, suffix) templates, chosen uniformly.
TEMPLATES: dict[str, list[tuple[np.ndarray, str, str]]] = {
    "school": [(SURNAMES, "", " Elementary School"), (STREETS, "", " High School"),
               (SURNAMES, "", " Academy")],
    "park": [(TREES, "", " Park"), (SURNAMES, "", " Park"), (STREETS, "", " Playlot")],
    "recreation_center": [(STREETS, "", " Recreation Center"), (SURNAMES, "", " Fieldhouse")],
    "clinic": [(STREETS, "", " Community Clinic"), (SURNAMES, "", " Health Center")],
    "place_of_worship": [(SAINTS, "St. ", " Church"), (STREETS, "", " Baptist Church"),
                         (STREETS, "", " Masjid"), (TREES, "", " Street Temple")],
    "library": [(STREETS, "", " Branch Library"), (SURNAMES, "", " Library")],
    "other": [(STREETS, "", " Community Center"), (SURNAMES, "", " Youth Hub")],
}


def place_names(kind: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A name for every place, e.g. ``"Kedzie Recreation Center"``.

    Parameters
    ----------
    kind : numpy.ndarray of str
        Place kind per place (keys of :data:`TEMPLATES`).
    rng : numpy.random.Generator

    Returns
    -------
    numpy.ndarray of str (object dtype)
    """
    kind = np.asarray(kind, dtype=object)
    out = np.empty(kind.size, dtype=object)
    for k, templates in TEMPLATES.items():
        idx = np.flatnonzero(kind == k)
        if idx.size == 0:
            continue
        t = rng.integers(0, len(templates), idx.size)
        for j, (words, prefix, suffix) in enumerate(templates):
            sel = idx[t == j]
            w = words[rng.integers(0, words.size, sel.size)]
            out[sel] = prefix + w.astype(str).astype(object) + suffix
    return out


#: Words and suffixes of the fictional neighbourhood names (:func:`area_names`).
AREA_WORDS = np.unique(np.concatenate([STREETS, TREES, np.array([
    "Bridgeport", "Riverdale", "Fairview", "Brookside", "Highland", "Lakeview", "Millbrook", "Stonegate",
    "Wildwood", "Greenfield", "Ridgeway", "Hollister", "Kingsbury", "Mayfair", "Norwood", "Pleasant",
    "Sherwood", "Summit", "Union", "Carver", "Douglass", "Tubman", "Bethune", "Hansberry",
], dtype=object)]))
AREA_SUFFIXES = np.array(["Park", "Heights", "Square", "Village", "Grove", "Hill", "Gardens", "Corners",
                          "Point", "Terrace", "Crossing", "Commons", "Flats", "Yards"], dtype=object)
AREA_PREFIXES = np.array(["", "North ", "South ", "East ", "West ", "Old ", "New ", "Upper ", "Lower "],
                         dtype=object)


def area_names(n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` distinct plausible neighbourhood names, e.g. ``"West Kedzie Heights"``.

    Names without a direction prefix are used first (shuffled), prefixed ones only when a city has
    more areas than the plain combinations (word x suffix).

    Returns
    -------
    numpy.ndarray of str (object dtype), shape (n,)
    """
    base = (AREA_WORDS[:, None] + " " + AREA_SUFFIXES[None, :]).ravel()
    plain = base[rng.permutation(base.size)]
    if n <= plain.size:
        return plain[:n].astype(object)
    prefixed = (AREA_PREFIXES[1:, None] + base[None, :]).ravel()
    prefixed = prefixed[rng.permutation(prefixed.size)]
    names = np.concatenate([plain, prefixed])
    if n > names.size:
        raise ValueError(f"at most {names.size} distinct area names, asked for {n}")
    return names[:n].astype(object)
