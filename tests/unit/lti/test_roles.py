"""LTI role URIs route to the right area, sub-roles included."""

import pytest

from lti_tool.adapters.lti.roles import area_for_roles, principal_role

M = "http://purl.imsglobal.org/vocab/lis/v2/membership"


@pytest.mark.parametrize(("roles", "area"), [
    ([f"{M}#Learner"], "student"),
    ([f"{M}/Learner#Learner"], "student"),
    ([f"{M}/Instructor#TeachingAssistant"], "teacher"),
    ([f"{M}#TeachingAssistant"], "teacher"),
    ([f"{M}#Instructor", f"{M}#Learner"], "teacher"),
    ([f"{M}#Mentor"], "mentor"),
    ([f"{M}/Mentor#Mentor"], "mentor"),
    (["http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator"], "admin"),
    (["http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator", f"{M}#Learner"], "admin"),
    (["http://purl.imsglobal.org/vocab/lis/v2/system/person#User"], None),
    ([], None),
])
def test_roles_open_the_expected_area(roles, area):
    assert area_for_roles(roles) == area


def test_a_sub_role_stands_for_its_principal_role():
    assert principal_role(f"{M}/Instructor#TeachingAssistant") == f"{M}#Instructor"
    assert principal_role(f"{M}#Learner") == f"{M}#Learner"
