#include "http/connection_budget.h"

#include "http/http_connection.h"

namespace lampi::load::http {

bool ConnectionBudget::acquire(HttpConnection& connection) {
    // Those who asked first go first: a newcomer does not overtake the waiting.
    if (waiting_.empty() && (used_ < cap_ || evict_idle())) {
        ++used_;
        return true;
    }
    connection.budget_place_ = waiting_.insert(waiting_.end(), &connection);
    connection.budget_list_ = HttpConnection::BudgetList::waiting;
    return false;
}

void ConnectionBudget::idle(HttpConnection& connection) {
    // Another's request waits for a socket: this one's goes to it (at admit()), so
    // users take turns and none keeps a socket while others wait.
    if (!waiting_.empty()) {
        connection.close_socket();  // forgets it and releases its socket
        return;
    }
    forget(connection);
    connection.budget_place_ = idle_.insert(idle_.end(), &connection);
    connection.budget_list_ = HttpConnection::BudgetList::idle;
}

void ConnectionBudget::forget(HttpConnection& connection) {
    switch (connection.budget_list_) {
        case HttpConnection::BudgetList::none: return;
        case HttpConnection::BudgetList::idle: idle_.erase(connection.budget_place_); break;
        case HttpConnection::BudgetList::waiting: waiting_.erase(connection.budget_place_); break;
    }
    connection.budget_list_ = HttpConnection::BudgetList::none;
}

bool ConnectionBudget::evict_idle() {
    if (idle_.empty()) return false;
    HttpConnection* oldest = idle_.front();
    oldest->close_socket();  // forgets it and releases its socket
    return true;
}

void ConnectionBudget::admit() {
    while (!waiting_.empty() && (used_ < cap_ || evict_idle())) {
        HttpConnection* next = waiting_.front();
        forget(*next);
        ++used_;
        next->open_admitted();
    }
}

}  // namespace lampi::load::http
