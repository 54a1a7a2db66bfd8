package booking

import (
	"context"
	"sync"
)

// MutexLocker is a Locker for a single process: one lock per key, waiting on
// which honours the context. The zero value is ready to use.
type MutexLocker struct {
	mu    sync.Mutex
	locks map[string]*keyLock
}

type keyLock struct {
	ch   chan struct{} // holds a token while the lock is free
	refs int
}

// Lock implements Locker.
func (l *MutexLocker) Lock(ctx context.Context, key string) (func(), error) {
	l.mu.Lock()
	if l.locks == nil {
		l.locks = map[string]*keyLock{}
	}
	k := l.locks[key]
	if k == nil {
		k = &keyLock{ch: make(chan struct{}, 1)}
		k.ch <- struct{}{}
		l.locks[key] = k
	}
	k.refs++
	l.mu.Unlock()

	release := func() {
		l.mu.Lock()
		k.refs--
		if k.refs == 0 {
			delete(l.locks, key)
		}
		l.mu.Unlock()
	}
	select {
	case <-k.ch:
		var once sync.Once
		return func() {
			once.Do(func() {
				k.ch <- struct{}{}
				release()
			})
		}, nil
	case <-ctx.Done():
		release()
		return nil, WrapError(EUnavailable, ctx.Err(), "the practitioner's agenda is busy, try again")
	}
}
