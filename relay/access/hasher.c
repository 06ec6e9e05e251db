#include "hasher.h"

#include <crypt.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/queue.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/crypto.h>

#define LOG_TAG "hasher"
#include "log.h"

#define HASHER_TEXT_MAX 256

struct job {
    TAILQ_ENTRY(job) link;
    char password[HASHER_TEXT_MAX];
    char hash[HASHER_TEXT_MAX];
    int is_match;
    hasher_done_fn done;
    void *arg;
};

TAILQ_HEAD(job_list, job);

struct hasher {
    struct event *wakeup; /* on the loop: results are ready */
    int efd;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t work;
    struct job_list todo; /* guarded by lock */
    struct job_list done; /* guarded by lock */
    int is_stopping;      /* guarded by lock */
    unsigned queued;      /* loop thread only: submitted, callback not yet run */
    unsigned max_queued;
};

static void check(struct job *j, struct crypt_data *data)
{
    const char *h = crypt_r(j->password, j->hash, data);
    size_t n = strlen(j->hash);
    j->is_match = h != NULL && strlen(h) == n && CRYPTO_memcmp(h, j->hash, n) == 0;
    explicit_bzero(j->password, sizeof(j->password));
    explicit_bzero(data, sizeof(*data));
}

static void *worker(void *arg)
{
    struct hasher *h = arg;
    struct crypt_data *data = calloc(1, sizeof(*data));
    pthread_mutex_lock(&h->lock);
    for (;;) {
        while (!h->is_stopping && TAILQ_EMPTY(&h->todo))
            pthread_cond_wait(&h->work, &h->lock);
        if (h->is_stopping)
            break;
        struct job *j = TAILQ_FIRST(&h->todo);
        TAILQ_REMOVE(&h->todo, j, link);
        pthread_mutex_unlock(&h->lock);
        if (data != NULL)
            check(j, data);
        else
            j->is_match = 0; /* no memory for crypt_r's state: fail closed */
        pthread_mutex_lock(&h->lock);
        TAILQ_INSERT_TAIL(&h->done, j, link);
        uint64_t one = 1;
        if (write(h->efd, &one, sizeof(one)) < 0) {
            /* The counter cannot overflow at our rates; nothing else can fail here. */
        }
    }
    pthread_mutex_unlock(&h->lock);
    free(data);
    return NULL;
}

static void job_free(struct job *j)
{
    explicit_bzero(j, sizeof(*j));
    free(j);
}

static void on_wakeup(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    struct hasher *h = arg;
    uint64_t n;
    if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
        LOG_WARN("eventfd: %s", strerror(errno));
    struct job_list ready = TAILQ_HEAD_INITIALIZER(ready);
    pthread_mutex_lock(&h->lock);
    TAILQ_CONCAT(&ready, &h->done, link);
    pthread_mutex_unlock(&h->lock);
    struct job *j;
    while ((j = TAILQ_FIRST(&ready)) != NULL) {
        TAILQ_REMOVE(&ready, j, link);
        h->queued--;
        j->done(j->is_match, j->arg);
        job_free(j);
    }
}

struct hasher *hasher_new(struct event_base *base, unsigned max_queued)
{
    struct hasher *h = calloc(1, sizeof(*h));
    if (h == NULL)
        return NULL;
    h->max_queued = max_queued;
    TAILQ_INIT(&h->todo);
    TAILQ_INIT(&h->done);
    h->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (h->efd < 0) {
        free(h);
        return NULL;
    }
    h->wakeup = event_new(base, h->efd, EV_READ | EV_PERSIST, on_wakeup, h);
    if (h->wakeup == NULL || event_add(h->wakeup, NULL) < 0 ||
        pthread_mutex_init(&h->lock, NULL) != 0) {
        if (h->wakeup != NULL)
            event_free(h->wakeup);
        close(h->efd);
        free(h);
        return NULL;
    }
    pthread_cond_init(&h->work, NULL);
    if (pthread_create(&h->thread, NULL, worker, h) != 0) {
        pthread_cond_destroy(&h->work);
        pthread_mutex_destroy(&h->lock);
        event_free(h->wakeup);
        close(h->efd);
        free(h);
        return NULL;
    }
    return h;
}

void hasher_free(struct hasher *h)
{
    if (h == NULL)
        return;
    pthread_mutex_lock(&h->lock);
    h->is_stopping = 1;
    pthread_cond_signal(&h->work);
    pthread_mutex_unlock(&h->lock);
    pthread_join(h->thread, NULL);
    /* The thread is gone: both lists are ours. Finished jobs first, in order. */
    struct job_list rest = TAILQ_HEAD_INITIALIZER(rest);
    TAILQ_CONCAT(&rest, &h->done, link);
    TAILQ_CONCAT(&rest, &h->todo, link);
    struct job *j;
    while ((j = TAILQ_FIRST(&rest)) != NULL) {
        TAILQ_REMOVE(&rest, j, link);
        j->done(-ECANCELED, j->arg);
        job_free(j);
    }
    event_free(h->wakeup);
    close(h->efd);
    pthread_cond_destroy(&h->work);
    pthread_mutex_destroy(&h->lock);
    free(h);
}

int hasher_submit(struct hasher *h, const char *password, const char *hash, hasher_done_fn done,
                  void *arg)
{
    if (strlen(password) >= HASHER_TEXT_MAX || strlen(hash) >= HASHER_TEXT_MAX)
        return -EINVAL;
    if (h->queued >= h->max_queued)
        return -EBUSY;
    struct job *j = calloc(1, sizeof(*j));
    if (j == NULL)
        return -ENOMEM;
    memcpy(j->password, password, strlen(password) + 1);
    memcpy(j->hash, hash, strlen(hash) + 1);
    j->done = done;
    j->arg = arg;
    h->queued++;
    pthread_mutex_lock(&h->lock);
    TAILQ_INSERT_TAIL(&h->todo, j, link);
    pthread_cond_signal(&h->work);
    pthread_mutex_unlock(&h->lock);
    return 0;
}

unsigned hasher_queued(const struct hasher *h)
{
    return h->queued;
}
