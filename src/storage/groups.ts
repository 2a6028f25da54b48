import type { Db } from './db.js'

/** A node of the group forest. `path` is its full name and never changes. */
export interface Group {
  id: string
  parentId: string | null
  name: string
  path: string
  created: number
}

const COLUMNS = 'id, parent_id AS parentId, name, path, created'

/** The group forest. */
export class GroupStore {
  private readonly byId
  private readonly byPath
  private readonly insertGroup
  private readonly inRange

  constructor(db: Db) {
    this.byId = db.prepare<[string], Group>(`SELECT ${COLUMNS} FROM groups WHERE id = ?`)
    this.byPath = db.prepare<[string], Group>(`SELECT ${COLUMNS} FROM groups WHERE path = ?`)
    this.insertGroup = db.prepare('INSERT INTO groups (id, parent_id, name, path, created) VALUES (?, ?, ?, ?, ?)')
    this.inRange = db.prepare<[string, string], Group>(
      `SELECT ${COLUMNS} FROM groups WHERE path >= ? AND path < ? ORDER BY path`,
    )
  }

  get(id: string): Group | undefined {
    return this.byId.get(id)
  }

  findByPath(path: string): Group | undefined {
    return this.byPath.get(path)
  }

  insert(group: Group): void {
    this.insertGroup.run(group.id, group.parentId, group.name, group.path, group.created)
  }

  /** Groups whose path lies in [from, to), in path order (see `descendantRange`). */
  pathRange(from: string, to: string): Group[] {
    return this.inRange.all(from, to)
  }
}
