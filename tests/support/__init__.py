"""Helpers the test suite shares: hermetic services and builders."""
