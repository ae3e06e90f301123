"""The loop before (and after) publication: preview windows in which ICOs see their own results, inquiries on
a result or an edition with their messages and resolutions (one state machine), and publishing a preview —
when its window has passed with no inquiry open, or anyway, with a written reason."""
