"""Jobs: the record of every piece of background work (``models``), what a kind of job is
(``kinds``), the runners that claim and run them under a lease (``runner``), the schedules that fire
once per slot (``scheduler``), and operators' view of them (``router``, ``service``, ``cli``)."""
