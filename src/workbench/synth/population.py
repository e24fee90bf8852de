"""People: the co-arrest network and the at-risk non-network pool.

The *network* is everyone with at least one arrest. Arrests come in co-arrest groups of 1-4
people; clustering comes from crews: arrest slots (one per arrest of a person) are sorted by
home area and by crew index plus normal noise, then cut into consecutive groups, so people
are mostly co-arrested with their crew and sometimes with neighbouring crews.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components
from scipy.special import expit

from .geography import Geography
from .params import Params
from .scales import Scale

RACES = np.array(["black", "hispanic", "white", "asian", "other"], dtype=object)


@dataclass
class Population:
    """Everyone who could appear in the data (network first, then the at-risk pool).

    Attributes
    ----------
    n_network : int
        People ``0 .. n_network-1`` have arrests (the co-arrest network).
    area, birth_year : numpy.ndarray of int
        Home area index and birth year per person.
    sex, race : numpy.ndarray of str
        Contract codes per person.
    weight : numpy.ndarray of float
        Background victimization weight per person; network weights sum to
        ``background_network_share``, pool weights to the rest.
    adjacency : scipy.sparse.csr_matrix
        Co-arrest adjacency among network people (weight = number of shared arrests).
    arrests : pandas.DataFrame
        ``group`` (arrest index), ``person`` (index), ``t`` (days since start), ``offense``.
    """

    n_network: int
    area: np.ndarray
    birth_year: np.ndarray
    sex: np.ndarray
    race: np.ndarray
    weight: np.ndarray
    adjacency: sp.csr_matrix
    arrests: pd.DataFrame

    @property
    def n(self) -> int:
        """Number of people (network + pool)."""
        return self.area.size

    @property
    def degree(self) -> np.ndarray:
        """Number of distinct co-arrestees per network person."""
        return np.diff(self.adjacency.indptr)


def _choice_rows(p: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One category index per row of the probability matrix ``p`` (rows sum to 1)."""
    c = np.cumsum(p, axis=1)
    u = rng.random(p.shape[0])[:, None] * c[:, -1:]
    return np.minimum((u > c).sum(1), p.shape[1] - 1)


def race_probs(dis: np.ndarray) -> np.ndarray:
    """Race/ethnicity probabilities (black, hispanic, white, asian, other) by disadvantage."""
    black = 0.85 * expit(-0.2 + 1.4 * dis)
    hisp = (1 - black) * expit(-0.1 + 0.6 * dis)
    rest = 1 - black - hisp
    return np.column_stack([black, hisp, 0.78 * rest, 0.15 * rest, 0.07 * rest])


def _demographics(area: np.ndarray, geo: Geography, start_year: int, age0: float,
                  age_shape: float, age_scale: float, male: float,
                  rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = area.size
    age = age0 + rng.gamma(age_shape, age_scale, n)
    birth_year = (start_year - np.floor(age)).astype(np.int64)
    sex = np.where(rng.random(n) < male, "male", "female").astype(object)
    race = RACES[_choice_rows(race_probs(geo.disadvantage[area]), rng)]
    return birth_year, sex, race


def make_population(scale: Scale, params: Params, geo: Geography,
                    rng: np.random.Generator) -> Population:
    """Network people with co-arrests, and the at-risk pool.

    Network homes are drawn with probability proportional to
    ``population_a * exp(network_beta_disadvantage * D_a)``; pool homes in proportion to
    population. Background weights: network ``exp(beta_disadvantage * D_home + z)``,
    ``z ~ N(0, network_frailty_sd)``; pool ``exp(beta_disadvantage * D_home)``.
    """
    start_year = int(scale.start[:4])
    pop = geo.population.astype(float)
    n_net = scale.network_people
    p_home = pop * np.exp(params.network_beta_disadvantage * geo.disadvantage)
    net_area = rng.choice(geo.n, size=n_net, p=p_home / p_home.sum())
    net_by, net_sex, net_race = _demographics(
        net_area, geo, start_year, 15.0, 2.2, 5.0, params.male_share_network, rng)

    n_pool = max(int(round(params.at_risk_share * scale.residents)), 50)
    pool_area = rng.choice(geo.n, size=n_pool, p=pop / pop.sum())
    pool_by, pool_sex, pool_race = _demographics(
        pool_area, geo, start_year, 12.0, 2.0, 8.0, params.male_share_other, rng)

    w_net = np.exp(params.beta_disadvantage * geo.disadvantage[net_area]
                   + rng.normal(0.0, params.network_frailty_sd, n_net))
    w_pool = np.exp(params.beta_disadvantage * geo.disadvantage[pool_area])
    share = params.background_network_share
    weight = np.concatenate([share * w_net / w_net.sum(), (1 - share) * w_pool / w_pool.sum()])

    arrests, adjacency = make_arrests(net_area, scale, params, rng)
    return Population(
        n_network=n_net,
        area=np.concatenate([net_area, pool_area]),
        birth_year=np.concatenate([net_by, pool_by]),
        sex=np.concatenate([net_sex, pool_sex]),
        race=np.concatenate([net_race, pool_race]),
        weight=weight,
        adjacency=adjacency,
        arrests=arrests,
    )


def make_arrests(net_area: np.ndarray, scale: Scale, params: Params,
                 rng: np.random.Generator) -> tuple[pd.DataFrame, sp.csr_matrix]:
    """Co-arrest groups of network people and the co-arrest adjacency.

    Arrests per person: ``1 + NegBin(size, size / (size + mean))``; group sizes 1-4 from
    ``group_size_probs``; times uniform over the period with a night-heavy hour.
    """
    n = net_area.size
    size = params.extra_arrests_nb_size
    k = 1 + rng.negative_binomial(size, size / (size + params.extra_arrests_mean), n)
    person = np.repeat(np.arange(n), k)
    # crews: consecutive integers within each area
    counts = np.bincount(net_area, minlength=net_area.max() + 1)
    n_crews = np.maximum(1, np.round(counts / params.crew_size)).astype(np.int64)
    crew = rng.integers(0, n_crews[net_area])
    key = crew[person] + rng.normal(0.0, params.crew_mixing_sd, person.size)
    sort_area = net_area[person].astype(float)
    rand = rng.random(person.size) < params.co_arrest_random_share
    sort_area[rand] = rng.uniform(0, net_area.max() + 1, rand.sum())
    key[rand] = rng.uniform(0, n_crews.max(), rand.sum())
    order = np.lexsort((key, np.floor(sort_area)))
    person = person[order]
    sizes = rng.choice(np.arange(1, 5), size=person.size, p=params.group_size_probs)
    bounds = np.cumsum(sizes)
    group = np.searchsorted(bounds, np.arange(person.size), side="right")
    df = pd.DataFrame({"group": group, "person": person}).drop_duplicates(["group", "person"])
    n_groups = int(df["group"].max()) + 1
    # renumber groups in a random order (arrest ids do not reveal the sort)
    relabel = rng.permutation(n_groups)
    df["group"] = relabel[df["group"].to_numpy()]
    days = scale.days - 1.0
    hours = rng.choice(24, size=n_groups, p=hour_probs(params))
    t_group = np.floor(rng.uniform(0, days, n_groups)) + (hours + rng.random(n_groups)) / 24.0
    offense = np.asarray(list(params.offense_probs), dtype=object)[
        rng.choice(len(params.offense_probs), size=n_groups, p=list(params.offense_probs.values()))
    ]
    df["t"] = t_group[df["group"].to_numpy()]
    df["offense"] = offense[df["group"].to_numpy()]
    df = df.sort_values(["group", "person"], kind="stable").reset_index(drop=True)

    inc = sp.csr_matrix((np.ones(len(df)), (df["group"].to_numpy(), df["person"].to_numpy())),
                        shape=(n_groups, n))
    adj = (inc.T @ inc).tocsr()
    adj.setdiag(0)
    adj.eliminate_zeros()
    adj.sort_indices()
    return df, adj


def hour_probs(params: Params) -> np.ndarray:
    """Probability of each local hour 0..23 (the `diurnal` profile, normalized)."""
    w = np.asarray(params.diurnal, dtype=float)
    return w / w.sum()


def network_summary(popn: Population, residents: int) -> dict:
    """Size, degree and component figures of the co-arrest network."""
    deg = popn.degree
    n_comp, labels = connected_components(popn.adjacency, directed=False)
    comp_sizes = np.bincount(labels)
    return {
        "network_people": int(popn.n_network),
        "network_share_of_residents": popn.n_network / residents,
        "arrests": int(popn.arrests["group"].nunique()),
        "arrest_rows": int(len(popn.arrests)),
        "mean_degree": float(deg.mean()),
        "max_degree": int(deg.max()),
        "share_isolates": float((deg == 0).mean()),
        "degree_p99": float(np.percentile(deg, 99)),
        "components": int(n_comp),
        "largest_component_share": float(comp_sizes.max() / popn.n_network),
    }
