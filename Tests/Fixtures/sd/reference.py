"""Plain Euler loops for the system-dynamics fixtures (Tests/Fixtures/sd/*.strat).

Prints one JSON object: model name -> series name -> values for periods 0..N. The
Swift test (SystemDynamicsTests) compares each to `strat eval --format json`.
Written from the models' equations, not from Strat's output.
"""
import json


def teacup():
    room, k = 20.0, 0.08
    temp = [90.0]
    for _ in range(60):
        temp.append(temp[-1] - k * (temp[-1] - room))
    return {"temperature": temp}


def sir():
    n, beta, gamma = 10000.0, 0.35, 0.1
    s, i, r = [n - 10], [10.0], [0.0]
    for _ in range(120):
        s0, i0, r0 = s[-1], i[-1], r[-1]
        s.append(s0 - beta * s0 * i0 / n)
        i.append(i0 + beta * s0 * i0 / n - gamma * i0)
        r.append(r0 + gamma * i0)
    return {"susceptible": s, "infected": i, "recovered": r}


def bass():
    m, p, q = 2e6, 0.03, 0.38
    a = [0.0]
    for _ in range(40):
        a.append(a[-1] + (p + q * a[-1] / m) * (m - a[-1]))
    adoption = [(p + q * x / m) * (m - x) for x in a]
    return {"adopters": a, "adoption": adoption, "share": [x / m for x in a]}


def supply_delay():
    orders = [100.0]
    for _ in range(26):
        orders.append(orders[-1] * 1.04)
    shipments = [orders[max(0, t - 3)] for t in range(27)]
    backlog, shipped = [0.0], [0.0]
    for t in range(1, 27):
        # In next:, names are the previous period: orders[t-1], shipments[t-1].
        backlog.append(backlog[-1] + orders[t - 1] - shipments[t - 1])
        # delay(orders, 2) seen at step t is orders[t-1] two steps back.
        shipped.append(shipped[-1] + orders[max(0, t - 1 - 2)])
    return {"orders": orders, "shipments": shipments, "backlog": backlog, "shipped": shipped}


def lookup(x, table):
    xs = [p[0] for p in table]
    ys = [p[1] for p in table]
    if x <= xs[0]:
        return ys[0]
    if x >= xs[-1]:
        return ys[-1]
    for j in range(len(xs) - 1):
        if xs[j] <= x < xs[j + 1]:
            return ys[j] + (ys[j + 1] - ys[j]) * (x - xs[j]) / (xs[j + 1] - xs[j])
    return ys[-1]


def workload_lookup():
    effect = [[0, 1.2], [0.5, 1.1], [1, 1], [1.5, 0.7], [2, 0.5], [3, 0.4]]
    backlog = [700.0]
    for _ in range(52):
        completion = 80 * lookup(backlog[-1] / 400, effect)
        backlog.append(backlog[-1] + 95 - completion)
    pressure = [b / 400 for b in backlog]
    return {"backlog": backlog, "pressure": pressure, "completion": [80 * lookup(x, effect) for x in pressure]}


print(json.dumps({"teacup": teacup(), "sir": sir(), "bass": bass(), "supply_delay": supply_delay(),
                  "workload_lookup": workload_lookup()}))
