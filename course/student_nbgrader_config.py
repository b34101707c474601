"""nbgrader configuration for every user of a JupyterHub that runs this course through nbgrader's
exchange: students (fetch, submit, fetch_feedback) and the instructor (whose course folder's own
nbgrader_config.py keeps the exchange set here). README, "JupyterHub with nbgrader's exchange".

Install it where every user's Jupyter reads it (`jupyter --paths`, "config"), as nbgrader_config.py:
- The Littlest JupyterHub: /opt/tljh/user/etc/jupyter/nbgrader_config.py (the user environment);
- zero-to-jupyterhub: /etc/jupyter/nbgrader_config.py in the user image (or `singleuser.extraFiles`);
- one user: ~/.jupyter/nbgrader_config.py.
It imports nothing of the course: students never need the instructor's repository.
"""
c = get_config()  # noqa: F821  (nbgrader provides it)

# The course's id, as course/nbgrader_config.py sets it: the exchange keeps each course in a
# folder of this name.
c.CourseDirectory.course_id = "dl-course"

# Where the exchange lives: nbgrader's default place, a folder every user can write
# (`install -d -m 0777`), on one machine (TLJH) or a volume shared by every user's server (z2jh).
c.Exchange.root = "/usr/local/share/nbgrader/exchange"
