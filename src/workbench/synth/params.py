"""Every generating parameter of the synthetic city (the *truth*).

:class:`Params` holds the parameters that do not depend on the scale; all of them are written
to ``truth.json``. Names carry their unit (``_m`` meters, ``_days``, ``_min`` minutes).
Equations are in ``docs/synthetic-city.md``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


def _d(**kw):
    return field(default_factory=lambda: dict(kw))


@dataclass
class Params:
    """Generating parameters of the synthetic city (defaults are the documented truth).

    Every field is written to ``truth.json``; ``docs/synthetic-city.md`` gives the equations.

    Parameters
    ----------
    center_lon, center_lat : float
        City center (WGS84 degrees).
    timezone, crs : str
        IANA zone of every timestamp; projected CRS (meters) the city is built in.
    disadvantage_bumps, disadvantage_bump_scale, disadvantage_gradient : int, float, float
        Gaussian bumps of the latent disadvantage field, their width (fraction of the radius)
        and the west-east slope (SD units across the city).
    area_noise_sd, population_density_sd : float
        SD of the area noise of each indicator (logit scale) and of log population density.
    at_risk_share : float
        Share of residents in the at-risk non-network pool (people who can be shot).
    places_per_10k : dict of str to float
        Places of each kind per 10,000 residents (Poisson per area).
    extra_arrests_nb_size, extra_arrests_mean : float
        Arrests per network person are ``1 + NegBin(size, mean)`` (heavy tailed).
    group_size_probs : list of float
        Probabilities of co-arrest groups of 1, 2, 3, 4 people.
    crew_size, crew_mixing_sd, co_arrest_random_share : float
        Mean crew size; arrest slots are sorted by area then by crew index plus
        ``N(0, crew_mixing_sd)`` noise and cut into groups (clustered co-offending); a share
        ``co_arrest_random_share`` of slots is placed at random in that order instead
        (cross-neighbourhood ties that join the crews into a large component).
    network_beta_disadvantage : float
        Log relative probability of a network member living in an area, per SD of disadvantage.
    male_share_network, male_share_other : float
        Share of men in the network and in the at-risk pool.
    offense_probs : dict of str to float
        Offense category of an arrest.
    season_amplitude, season_peak_doy : float
        Background seasonality ``1 + A cos(2 pi (doy - peak) / 365.25)`` (peak day of year).
    beta_disadvantage : float
        Log background rate per SD of home-area disadvantage.
    network_frailty_sd : float
        SD of the log individual risk of network members.
    background_network_share : float
        Share of the background victim weight on network members (the rest on the pool).
    near_repeat_branching, near_repeat_sigma_m, near_repeat_tau_days : float
        Near-repeat offspring per incident (Poisson mean), Gaussian spatial SD (m) and mean of
        the exponential delay (days).
    contagion_branching, contagion_tau_days : float
        Contagion offspring per victimization of a network member with co-arrestees (Poisson
        mean), aimed at co-arrestees in proportion to shared arrests; mean of the exponential
        infector-infectee delay (days).
    co_victim_mean, fatal_prob : float
        Extra victims per incident ~ Poisson(co_victim_mean); probability a victimization is
        fatal.
    shots_fired_ratio : float
        Shots-fired incidents (no victim) per expected shooting incident.
    diurnal : list of float
        Relative background intensity by local hour 0..23.
    program_start_fraction : float
        Co-responders attend only from this fraction of the period on.
    coresponder_probs : dict of str to float
        Probability that each co-responder type attends an incident with victims.
    agencies : dict of str to list of str
        Agencies per responder type (chosen uniformly).
    arrival_delay_min, on_scene_min : dict of str to [float, float]
        Lognormal (median minutes, log SD) of the arrival delay and time on scene.
    referrals_per_victim : dict of str to float
        Poisson mean of referrals per surviving victim and co-responder response.
    service_probs : dict of str to dict of str to float
        Service mix of each co-responder type.
    providers : dict of str to list of str
        Providers per service (chosen uniformly).
    family_referral_prob, family_services : float, dict
        Probability that a family member of a served incident is referred (doubled for fatal
        incidents, at most 0.9) and their service mix.
    referral_delay_hours : float
        Mean of the exponential delay from arrival to referral (hours).
    weibull_shape, weibull_scale_days : float
        Weibull baseline of the time to engagement (shape k, scale lambda in days).
    beta_service, beta_provider, beta_responder : dict of str to float
        Log-hazard coefficients (absent levels are 0: references mental_health, unlisted
        providers, social_worker).
    beta_age_per_decade : float
        Log hazard per 10 years of age above 30.
    decline_rate_per_day : float
        Rate of the competing exponential decline time (per day).
    followup_window_days : float
        Follow-up stops (censoring) this many days after the referral.
    attempt_gap_days, scheduled_share : float
        Mean gap between unsuccessful attempts (days) and their share ``scheduled``.
    patrol_cycle_days, patrol_lag_cycles : float, int
        Length of a deployment cycle (days) and the cycles of recent incidents that steer it.
    patrol_base_hours_per_1k, patrol_hours_per_recent_incident : float
        Expected patrol hours per cycle: baseline per 1,000 residents plus hours per incident in
        the area during the previous ``patrol_lag_cycles`` cycles (hot-spot deployment).
    patrol_biased_share, patrol_bias_multiplier : float
        Share of areas (at least two, drawn at random regardless of risk) that get
        ``patrol_bias_multiplier`` times the hours their risk calls for (the gut-feel bias).
    patrol_shift_hours : [float, float]
        Lognormal (median hours, log SD) length of a patrol shift in an area (at most 12 h).
    patrol_stops_per_hour, patrol_arrest_per_stop, patrol_engagements_per_hour : float
        Stops per patrol hour, probability a stop ends in an arrest, community engagement
        contacts per patrol hour.
    """

    # geography
    center_lon: float = -87.70
    center_lat: float = 41.85
    timezone: str = "America/Chicago"
    crs: str = "EPSG:32616"
    disadvantage_bumps: int = 5
    disadvantage_bump_scale: float = 0.35
    disadvantage_gradient: float = 1.0
    area_noise_sd: float = 0.25
    population_density_sd: float = 0.35
    at_risk_share: float = 0.03
    places_per_10k: dict = _d(
        school=4.0, park=3.0, recreation_center=1.0, clinic=1.5, place_of_worship=5.0,
        library=0.6, other=1.0,
    )

    # network
    extra_arrests_nb_size: float = 0.35
    extra_arrests_mean: float = 1.8
    group_size_probs: list = field(default_factory=lambda: [0.45, 0.32, 0.15, 0.08])
    crew_size: float = 6.0
    crew_mixing_sd: float = 0.8
    co_arrest_random_share: float = 0.05
    network_beta_disadvantage: float = 1.0
    male_share_network: float = 0.88
    male_share_other: float = 0.62
    offense_probs: dict = _d(violent=0.25, weapons=0.15, drugs=0.30, property=0.20, other=0.10)

    # shootings
    season_amplitude: float = 0.35
    season_peak_doy: float = 196.0
    beta_disadvantage: float = 0.8
    network_frailty_sd: float = 0.6
    background_network_share: float = 0.40
    near_repeat_branching: float = 0.12
    near_repeat_sigma_m: float = 200.0
    near_repeat_tau_days: float = 7.0
    contagion_branching: float = 0.80
    contagion_tau_days: float = 125.0
    co_victim_mean: float = 0.15
    fatal_prob: float = 0.18
    shots_fired_ratio: float = 0.5
    #: relative background intensity by local hour 0..23 (night heavy)
    diurnal: list = field(
        default_factory=lambda: [
            9, 8, 7, 5, 3, 2, 1.5, 1.5, 1.5, 2, 2, 2.5,
            3, 3, 3.5, 4, 4.5, 5, 6, 7, 8, 9, 10, 10,
        ]
    )

    # response
    program_start_fraction: float = 0.4
    coresponder_probs: dict = _d(
        social_worker=0.30, nurse=0.20, community_health_worker=0.35,
        violence_interrupter=0.45, victim_advocate=0.40,
    )
    agencies: dict = _d(
        police=["City Police Department"],
        social_worker=["Department of Family Services", "Northside Counseling Collective"],
        nurse=["City Health Department"],
        community_health_worker=["Community Health Partners", "West Side Health Alliance"],
        violence_interrupter=["Peace Keepers Network", "Safe Streets Initiative"],
        victim_advocate=["Victim Advocacy Center"],
    )
    arrival_delay_min: dict = _d(
        police=[6.0, 0.5], social_worker=[45.0, 0.5], nurse=[25.0, 0.5],
        community_health_worker=[40.0, 0.5], violence_interrupter=[30.0, 0.6],
        victim_advocate=[60.0, 0.5],
    )
    #: time on scene: lognormal (median minutes, log SD)
    on_scene_min: dict = _d(
        police=[75.0, 0.5], social_worker=[50.0, 0.4], nurse=[35.0, 0.4],
        community_health_worker=[45.0, 0.4], violence_interrupter=[60.0, 0.5],
        victim_advocate=[55.0, 0.4],
    )

    # referrals
    referrals_per_victim: dict = _d(
        social_worker=1.2, nurse=0.9, community_health_worker=1.1,
        violence_interrupter=0.8, victim_advocate=1.0,
    )
    service_probs: dict = _d(
        social_worker=dict(mental_health=0.35, housing=0.25, food_assistance=0.2, legal=0.2),
        nurse=dict(medical=0.7, mental_health=0.3),
        community_health_worker=dict(medical=0.3, food_assistance=0.3, housing=0.2, employment=0.2),
        violence_interrupter=dict(youth_program=0.4, employment=0.4, mental_health=0.2),
        victim_advocate=dict(victim_services=0.6, legal=0.4),
    )
    providers: dict = _d(
        mental_health=["Lakeside Behavioral Health", "Open Door Counseling"],
        medical=["Mercy Community Clinic", "County Trauma Follow-up"],
        housing=["Home First Housing", "Tenant Rights Coalition"],
        employment=["Second Chance Jobs", "City Workforce Center"],
        food_assistance=["Neighbors Food Bank"],
        victim_services=["Victim Advocacy Center", "Survivors Circle"],
        legal=["Legal Aid Clinic"],
        youth_program=["Youth Futures", "After Hours Rec League"],
    )
    family_referral_prob: float = 0.35
    family_services: dict = _d(victim_services=0.5, mental_health=0.5)
    referral_delay_hours: float = 1.0

    # follow-ups: Weibull proportional hazards for the time to engagement
    weibull_shape: float = 0.8
    weibull_scale_days: float = 80.0
    #: log-hazard coefficients; reference levels have 0 (mental_health, first provider, social_worker)
    beta_service: dict = _d(
        mental_health=0.0, medical=0.4, housing=-0.3, employment=-0.2, food_assistance=0.5,
        victim_services=0.2, legal=-0.1, youth_program=0.1,
    )
    beta_provider: dict = _d(
        **{
            "Open Door Counseling": 0.3, "County Trauma Follow-up": -0.4,
            "Tenant Rights Coalition": 0.2, "City Workforce Center": -0.3,
            "Survivors Circle": 0.25, "After Hours Rec League": 0.35,
        }
    )
    beta_responder: dict = _d(
        social_worker=0.0, nurse=0.1, community_health_worker=0.3,
        violence_interrupter=0.5, victim_advocate=0.2,
    )
    #: log hazard per 10 years of age above 30
    beta_age_per_decade: float = -0.15
    decline_rate_per_day: float = 0.005
    followup_window_days: float = 90.0
    attempt_gap_days: float = 6.0
    scheduled_share: float = 0.3

    # patrols: hot-spot deployment with a gut-feel bias (workbench.synth.patrols)
    patrol_cycle_days: float = 28.0
    patrol_lag_cycles: int = 3
    patrol_base_hours_per_1k: float = 8.0
    patrol_hours_per_recent_incident: float = 12.0
    patrol_biased_share: float = 0.10
    patrol_bias_multiplier: float = 2.5
    patrol_shift_hours: list = field(default_factory=lambda: [6.0, 0.3])
    patrol_stops_per_hour: float = 0.06
    patrol_arrest_per_stop: float = 0.10
    patrol_engagements_per_hour: float = 0.02

    def to_dict(self) -> dict:
        """Plain dict (JSON-serializable)."""
        return asdict(self)
