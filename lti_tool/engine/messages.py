"""English message templates for explanations, one per message id, with ``str.format`` named placeholders.

A translation catalog maps each English template to its translation; numbers and dates are formatted by
:func:`lti_tool.engine.explain.render` after translation, so templates never contain computed text.
"""

from __future__ import annotations

from collections.abc import Mapping

MESSAGES: Mapping[str, str] = {
    # What counted
    "count_none": "No scores count for this standard yet.",
    "count_one": "One score counts for this standard.",
    "count_many": "{count} scores count for this standard.",
    "evidence_score": "{assignment}, {date}: {score} out of {max} is {percent}%, which is {label} ({points}).",
    "evidence_score_undated": "{assignment}: {score} out of {max} is {percent}%, which is {label} ({points}).",
    "evidence_rubric": "{assignment}, {date}: you were rated {label} ({points}).",
    "evidence_rubric_undated": "{assignment}: you were rated {label} ({points}).",
    "evidence_missing_zero": "{assignment} is missing, so it counts as {points}.",
    "evidence_retake": "{assignment} is a retake of {original}. Both count.",
    "evidence_weight": "{assignment} has a weight of {weight}. Most scores have a weight of 1.",
    # What was left out
    "dropped_excused": "{assignment} was excused, so it does not count.",
    "dropped_missing": "{assignment} is missing. It does not count.",
    "dropped_replaced": "{assignment} does not count. Your retake, {replacement}, takes its place.",
    "dropped_after_as_of": "{assignment} came after {date}, so it does not count here.",
    # How the method combined them
    "method_single": "With just one score, your result is that score: {value}.",
    "method_no_scores": "There is nothing to combine yet, so there is no result.",
    "weighted_weights": "Your most recent score counts {weight}%. The average of the earlier ones counts {rest}%.",
    "weighted_earlier": "The average of the earlier ones is ({terms}) ÷ {count} = {mean}.",
    "weighted_earlier_weights": "Each earlier score is multiplied by its weight. The weights add up to {total}. "
                                "({terms}) ÷ {total} = {mean}.",
    "weighted_formula": "{weight_share} × {latest} + {rest_share} × {mean} = {value}.",
    "decayed_weights": "Each new score counts {weight}%. Your result so far counts {rest}%.",
    "decayed_start": "You start at your first score, {first}.",
    "decayed_step": "Next, {keep} × {previous} + {take} × {score} = {value}.",
    "n_mastery_rule": "Only scores of {mastery_points} or more count. You need {n} of them.",
    "n_mastery_too_few_scores": "You have {count} scores, and you need at least {n}. So there is no result yet.",
    "n_mastery_too_few_mastery": "You have {kept} of them so far. So there is no result yet.",
    "n_mastery_mean": "You have {kept} of them. Their average is ({terms}) ÷ {kept} = {value}.",
    "n_mastery_mean_weights": "You have {kept} of them. Each is multiplied by its weight. The weights add up to "
                              "{total}. ({terms}) ÷ {total} = {value}.",
    "latest": "Your most recent score is the one that counts: {value}.",
    "highest": "Your highest score is the one that counts: {value}.",
    "average": "All your scores count the same. ({terms}) ÷ {count} = {value}.",
    "average_weights": "Each score is multiplied by its weight. The weights add up to {total}. "
                       "({terms}) ÷ {total} = {value}.",
    "median_sorted": "From low to high, your scores are {sorted}.",
    "median_odd": "The one in the middle is {value}.",
    "median_even": "The two in the middle are {low} and {high}. Halfway between them is {value}.",
    "mode": "You got {value} most often, {times} times. So {value} counts.",
    "mode_tie": "Your top scores came up {times} times each: {tied}. The most recent of them counts: {value}.",
    "mode_all_once": "Each score came up once. So your most recent one counts: {value}.",
    "latest_n": "Your {n} most recent scores count. ({terms}) ÷ {count} = {value}.",
    "latest_n_all": "Your {n} most recent scores count. You have {count}, so all of them count. "
                    "({terms}) ÷ {count} = {value}.",
    "latest_n_weights": "Your {n} most recent scores count. Each is multiplied by its weight. The weights add up "
                        "to {total}. ({terms}) ÷ {total} = {value}.",
    "latest_n_all_weights": "Your {n} most recent scores count. You have {count}, so all of them count. Each is "
                            "multiplied by its weight. The weights add up to {total}. ({terms}) ÷ {total} = {value}.",
    "power_law_intro": "A growth curve is drawn through your scores. It shows where you are now.",
    "power_law_zero": "A score of 0 is read as 0.01 for the curve.",
    "power_law_formula": "The curve is {a} × x to the power {b}. At score number {x}, it gives {fitted}.",
    "power_law_clamped_high": "That is above the top of the scale, so it becomes {value}.",
    "power_law_clamped_low": "That is below the bottom of the scale, so it becomes {value}.",
    # Result and level
    "rounding": "Rounded to {digits} decimal places, that is {rounded}.",
    "rounding_whole": "Rounded to a whole number, that is {rounded}.",
    "level": "A result of {score} puts you at {label} ({points}).",
    "level_below_scale": "A result of {score} is below every level, so you are at {label} ({points}).",
    "override": "Your teacher set your level to {label} ({points}).",
    "override_reason": "The reason: {reason}",
    "override_calculated": "Without this, your result would be {score}.",
    # Next step
    "next_mastery": "You have reached mastery.",
    "next_one": "One more score of {label} ({points}) would raise you to {new_label}.",
    "next_one_or_better": "One more score of {label} ({points}) or better would raise you to {new_label}.",
    "next_many": "{count} more scores of {label} ({points}) would raise you to {new_label}.",
    "next_many_or_better": "{count} more scores of {label} ({points}) or better would raise you to {new_label}.",
    "next_out_of_reach": "Keep going. It will take more than {count} strong scores to raise your level.",
    "next_overridden": "Ask your teacher what to work on next.",
    # Overall grade
    "grade_none": "No standard has a result yet, so there is no grade.",
    "grade_average": "The average of your {count} standards is ({terms}) ÷ {count} = {average}.",
    "grade_cut": "An average of {min_average} or more earns {grade}.",
    "grade_no_cut": "That average is below every grade cut.",
    "grade_rule_matched": "You get {grade} because every rule for {grade} is met.",
    "grade_rule_missed": "You do not get {grade} yet.",
    "grade_otherwise": "No rule matched, so the grade is {grade}.",
    "condition_none_below": "No standard may be below {amount}. You have {actual} below it.",
    "condition_at_least_share": "At least {share}% of standards must be at {points} or more. You have {actual} of {total}.",
    "condition_at_least_count": "At least {amount} standards must be at {points} or more. You have {actual}.",
    "condition_at_most_count_below": "At most {amount} standards may be below {points}. You have {actual}.",
    "condition_average_at_least": "Your average must be at least {amount}. It is {actual}.",
}
