#include "support/fake_http_client.h"

#include "util/strings.h"

namespace xb::testing {

struct FakeHttpClient::Pending {
  uv_timer_t timer;
  std::function<void()> run;
  FakeHttpClient* owner;
};

void FakeHttpClient::close(Pending* pending) {
  uv_close(reinterpret_cast<uv_handle_t*>(&pending->timer),
           [](uv_handle_t* handle) { delete static_cast<Pending*>(handle->data); });
}

FakeHttpClient::FakeHttpClient(uv_loop_t* loop, Handler handler) : loop_(loop), handler_(std::move(handler)) {}

FakeHttpClient::~FakeHttpClient() {
  for (Pending* pending : pending_) close(pending);
}

void FakeHttpClient::on(const std::string& method, const std::string& url, CannedResponse response) {
  canned_[{method, url}].push_back(std::move(response));
}

registry::HttpResponse FakeHttpClient::response(const CannedResponse& canned) {
  registry::HttpResponse response;
  response.status = canned.status;
  response.body = canned.body;
  response.transport_error = canned.transport_error;
  response.transient = canned.transient;
  for (const std::string& line : canned.headers) {
    std::size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    response.headers[to_lower(trim(std::string_view(line).substr(0, colon)))] =
        std::string(trim(std::string_view(line).substr(colon + 1)));
  }
  return response;
}

std::string FakeHttpClient::header(const registry::HttpRequest& request, const std::string& name) {
  for (const std::string& line : request.headers) {
    std::size_t colon = line.find(':');
    if (colon != std::string::npos && to_lower(trim(std::string_view(line).substr(0, colon))) == to_lower(name))
      return std::string(trim(std::string_view(line).substr(colon + 1)));
  }
  return "";
}

void FakeHttpClient::send(registry::HttpRequest request, registry::HttpCallback done) {
  requests_.push_back(request);
  registry::HttpResponse answer;
  if (handler_) {
    answer = handler_(request);
  } else if (auto it = canned_.find({request.method, request.url}); it != canned_.end() && !it->second.empty()) {
    answer = response(it->second.front());
    it->second.pop_front();
  } else {
    unanswered_.push_back(request.method + " " + request.url);
    answer.status = 404;
    answer.body = "no canned response for " + request.method + " " + request.url;
  }
  schedule([done = std::move(done), answer = std::move(answer)]() mutable { done(std::move(answer)); });
}

void FakeHttpClient::after(std::chrono::milliseconds delay, std::function<void()> callback) {
  delays_.push_back(delay);
  schedule(std::move(callback));
}

void FakeHttpClient::schedule(std::function<void()> run) {
  auto* pending = new Pending{{}, std::move(run), this};
  uv_timer_init(loop_, &pending->timer);
  pending->timer.data = pending;
  pending_.insert(pending);
  uv_timer_start(
      &pending->timer,
      [](uv_timer_t* timer) {
        auto* fired = static_cast<Pending*>(timer->data);
        fired->owner->pending_.erase(fired);
        std::function<void()> run = std::move(fired->run);
        close(fired);
        run();
      },
      0, 0);
}

}  // namespace xb::testing
