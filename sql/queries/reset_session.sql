-- Pool reset hook: a connection going back to the pool carries no tenant, actor or setting (D2).
RESET ALL
