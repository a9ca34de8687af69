"""sbg: standards-based grading for Canvas and Moodle, as an LTI 1.3 tool."""
